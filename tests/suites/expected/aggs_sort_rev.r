
  Rome                                                              2
  Kyiv                                                              1
  Bern                                                      2               30
  Lisbon                                                    3               20
  Oslo                                                      1               10
  Oslo                                                      0               10

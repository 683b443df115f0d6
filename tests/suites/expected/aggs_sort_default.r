
  Oslo                                                      0               10
  Oslo                                                      1               10
  Lisbon                                                    3               20
  Bern                                                      2               30
  Kyiv                                                              1
  Rome                                                              2

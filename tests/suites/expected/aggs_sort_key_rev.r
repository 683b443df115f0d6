
  Rome                                                              2
  Kyiv                                                              1
  Oslo                                                      1               10
  Oslo                                                      0               10
  Lisbon                                                    3               20
  Bern                                                      2               30

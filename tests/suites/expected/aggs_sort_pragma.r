
  Oslo                                                      0               10
  Oslo                                                      1               10
  Bern                                                      2               30
  Lisbon                                                    3               20

Oslo 1 10
Lisbon 3 20
Bern 2 30
Bern 2 30
Lisbon 3 20
Oslo 1 10
Lisbon 3 20
Bern 2 30
Oslo 1 10
Oslo 1 10
Lisbon 3 20
Bern 2 30


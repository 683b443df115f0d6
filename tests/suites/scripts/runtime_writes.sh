# Writes four times, 0.2 s apart, for the aggrate case of runtime.test.
for i in 1 2 3 4 5; do
	echo x > /dev/null
	sleep 0.2
done

/* trace() of struct, union and array values prints their bytes as a hex dump. */
#pragma D option quiet

struct sample {
	int	id;
	char	tag;
	long	total;
};

union word {
	uint32_t	value;
	char		bytes[4];
};

struct sample s;
union word w;
this struct { int8_t x; } tiny;
uint16_t series[10];

BEGIN
{
	s.id = 0x1234;
	s.tag = 'A';
	s.total = -2;
	w.value = 0x64636261;
	this->tiny.x = 0x34;
	series[0] = 1;
	series[9] = 0xffff;
	trace(s);
	trace(w);
	trace(this->tiny);
	trace(series);
	exit(0);
}

struct sample_in {
	long value;
	char tag;
};

struct sample_out {
	long total;
	char *label;
};

translator struct sample_out < struct sample_in *in >
{
	total = in->value;
	label = in->tag;
};

BEGIN
{
	exit(0);
}

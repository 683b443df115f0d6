struct sample_in {
	long value;
};

struct sample_out {
	long total;
};

translator struct sample_out < struct sample_in *in >
{
	total = in->value;
};

struct sample_in *src;

BEGIN
{
	where = (long)xlate<struct sample_out *>(src)
}

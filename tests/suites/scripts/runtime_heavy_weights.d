/*
 * Histogram weights at the int64 limits: the weight expression keeps its 64 bits, buckets wrap
 * as two's complement sums, and rows whose sums differ only past double precision still sort by
 * them.
 */
#pragma D option quiet

BEGIN
{
	@["wrap"] = quantize(1, (1 << 63) - 1);
	@["wrap"] = quantize(1);
	@["wrap"] = quantize(4, (1 << 63) - 1);
	@["wrap"] = quantize(-2, -3);
	@["wrap"] = quantize(16, 7);

	this->w = (((long long)1) << 63) - 1;
	@["upper"] = quantize(1, this->w);
	@["upper"] = quantize(2, this->w >> 1);
	@["upper"] = quantize(4, this->w >> 2);
	@["upper"] = quantize(8, this->w >> 3);

	this->w = (((long long)1) << 63) - 4;
	@["lower"] = quantize(1, this->w);
	@["lower"] = quantize(2, (this->w >> 1) - 1);
	@["lower"] = quantize(4, (this->w >> 2) + 1);
	@["lower"] = quantize(8, (this->w >> 3) + 1);

	@lin["wrap"] = lquantize(2, 0, 5, 1, (1 << 63) - 1);
	@lin["wrap"] = lquantize(2, 0, 5, 1);
	@lin["wrap"] = lquantize(-1, 0, 5, 1, -3);
	exit(0);
}

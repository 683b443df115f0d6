int total;

BEGIN
{
	total = "many";
	self->name = execname;
	self->name += 1;
	trace(this->unset);
	keys[1, "a"] = 1;
	keys[1, 2] = 2;
}

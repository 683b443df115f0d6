this string who;

BEGIN
{
	this->who = execname;
	this->n = ++this->m;
	trace(this->who);
}

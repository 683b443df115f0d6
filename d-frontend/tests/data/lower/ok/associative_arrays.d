BEGIN
{
	bytes[pid, "read"] = 1;
	bytes[pid, "read"] += 10;
	self->seen[1] = "yes";
	self->seen[1] = 0;
	trace(bytes[pid, "read"]);
}

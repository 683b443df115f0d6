BEGIN
{
	a = (unsigned long)arg0;
	b = (struct task_struct *)curthread;
	c = (uint64_t)arg1 + (const char **)arg2;
	d = sizeof(int) + sizeof(struct file *) + sizeof x + sizeof(y);
	e = stringof(args[1]->name);
	f = (a) - 1;
}

BEGIN
{
	a = b || c ^^ d && e | f ^ g & h == i < j << k + l * m;
	a = b * c + d << e < f == g & h ^ i | j && k ^^ l || m;
	a = b = c ? d : e ? f : g;
	a = -b++ * !c - ~d / *e % &f;
	a = (b + c) * (d - e);
}

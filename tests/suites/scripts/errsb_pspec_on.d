#pragma D option pspec

char*name

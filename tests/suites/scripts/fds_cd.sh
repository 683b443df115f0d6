# Changes directory twice, for the cwd_and_root case of fds.test.
cd /usr/bin
cd /dev/shm

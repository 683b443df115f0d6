# Starts one thread and waits for it to end.
import threading

thread = threading.Thread(target=lambda: None)
thread.start()
thread.join()

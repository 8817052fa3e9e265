"""Videos as items of the library: recognised by content, their facts read from the container without
decoding the file, a poster frame decoded by OpenCV in a worker process that is killed if it hangs."""

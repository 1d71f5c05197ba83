# clembed-tune: the device tuner (see tuner/).

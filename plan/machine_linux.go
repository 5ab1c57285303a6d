package plan

func detectPlatform(m *Machine) {}

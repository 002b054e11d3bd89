// A test plugin that loads fine but registers nothing.
extern "C" int gorgon_test_empty_plugin_marker() { return 42; }

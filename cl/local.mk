# OpenCL kernel sources, embedded into the library at build time.
CL_FILES = cl/common.cl cl/embeddings.cl cl/layernorm.cl cl/activation.cl cl/attention.cl \
	cl/pooling.cl cl/gemm.cl
EXTRA_DIST += $(CL_FILES)
nodist_libclembed_core_la_SOURCES = lib/runtime/cl_sources.c
BUILT_SOURCES += lib/runtime/cl_sources.c
CLEANFILES += lib/runtime/cl_sources.c
lib/runtime/cl_sources.c: $(CL_FILES) $(top_srcdir)/tools/embed-cl.sh
	$(AM_V_GEN)$(MKDIR_P) lib/runtime && $(SHELL) $(top_srcdir)/tools/embed-cl.sh $@ $(addprefix $(top_srcdir)/,$(CL_FILES))

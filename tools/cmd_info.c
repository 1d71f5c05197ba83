/* clembed info: devices and their capabilities, the kernel cache; with -m, a model directory. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(clembed_device_type t)
{
    static const char *const names[] = {"other", "cpu", "gpu", "accelerator"};
    return (unsigned)t < 4 ? names[t] : "other";
}

static void print_uuid(FILE *f, const clembed_device_info *d)
{
    for (int i = 0; i < 16; i++)
        fprintf(f, "%02x%s", d->uuid[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
}

/* The selectors that pick device d: its index, each selector word that
 * picks it, and its whole name when no other device has that name; asked of
 * the selection function itself, so this is what -d would do. */
static size_t device_selectors(const clembed_device_info *d, const char **out, size_t cap)
{
    static char index[16][24];
    size_t k = 0, sel;
    snprintf(index[d->index % 16], sizeof index[0], "%zu", d->index);
    out[k++] = index[d->index % 16];
    for (size_t i = 0; clembed_device_selector_word(i) && k < cap; i++)
        if (clembed_device_select(clembed_device_selector_word(i), &sel) == CLEMBED_OK && sel == d->index)
            out[k++] = clembed_device_selector_word(i);
    if (k < cap && clembed_device_select(d->name, &sel) == CLEMBED_OK && sel == d->index)
        out[k++] = d->name;
    return k;
}

/* ---- what clembed_device_details adds: the name read apart, OpenCL 3.0 capabilities, memory as
 * contexts plan it, the same hardware on other platforms, and which profile levels serve ---- */

static void text_device_details(const clembed_device_info *d)
{
    clembed_device_details x;
    x.size = sizeof x;
    if (clembed_device_details_get(d->index, &x) != CLEMBED_OK)
        return;
    printf("  hardware:          %s", x.hardware_name);
    if (*x.board_name)
        printf(" (%s)", x.board_name);
    if (*x.architecture)
        printf(", architecture %s%s%s%s", x.architecture, *x.family ? " (family " : "", x.family, *x.family ? ")" : "");
    if (*x.pci_bus_id)
        printf(", PCI bus %s", x.pci_bus_id);
    printf("\n");
    printf("  software in name:  %s\n", *x.software_part ? x.software_part : "none");
    printf("  sub-groups:        %s%s%s; shuffle %s, relative shuffle %s\n", *x.subgroups_from ? "yes, from " : "no",
           x.subgroups_from, strcmp(x.subgroups_from, "__opencl_c_subgroups") == 0 ? " (OpenCL C 3.0)" : "",
           x.subgroup_shuffle ? "yes" : "no", x.subgroup_shuffle_relative ? "yes" : "no");
    printf("  host memory:       %s", d->unified_memory ? "shared" : "separate");
    if (d->unified_memory && !x.host_unified_memory)
        printf(" (%s; the driver answers no)", x.integrated ? "an APU by its architecture" : "a CPU");
    printf("; weights %s\n", x.host_pointers ? "used in place" : "copied to the device");
    printf("  memory plan:       %.1f MiB for weights and scratch (%s), buffers up to %.1f MiB\n",
           x.usable_bytes / 1048576.0,
           x.host_available_bytes ? "the host's available memory" : "the device's own", x.max_buffer_bytes / 1048576.0);
    if (x.same_hardware_count > 1) {
        printf("  same hardware as: ");
        for (size_t i = 0; i < clembed_device_count(); i++) {
            clembed_device_details y;
            clembed_device_info o;
            y.size = sizeof y;
            if (i != d->index && clembed_device_details_get(i, &y) == CLEMBED_OK && y.same_hardware == x.same_hardware &&
                clembed_device_get(i, &o) == CLEMBED_OK)
                printf(" device %zu (%s)", i, o.platform_name);
        }
        printf("\n");
    }
    clembed_profile_source src[4];
    size_t n = clembed_device_profile_sources(d->index, NULL, src, 4);
    printf("  profile levels:    %s", n ? "" : "none (built-in defaults)");
    for (size_t i = 0; i < n && i < 4; i++)
        printf("%s%s%s%s %s (%zu ops, %zu CLBlast sets)", i ? "; " : "", clembed_profile_level_name(src[i].level),
               *src[i].key ? " " : "", src[i].key, src[i].path, src[i].ops, src[i].clblast_sets);
    printf("\n");
}

static void json_device_details(const clembed_device_info *d)
{
    clembed_device_details x;
    x.size = sizeof x;
    if (clembed_device_details_get(d->index, &x) != CLEMBED_OK)
        return;
    printf(",\"hardware_name\":");
    cli_json_string(stdout, x.hardware_name);
    printf(",\"software_part\":");
    cli_json_string(stdout, x.software_part);
    printf(",\"architecture\":");
    cli_json_string(stdout, x.architecture);
    printf(",\"family\":");
    cli_json_string(stdout, x.family);
    printf(",\"board_name\":");
    cli_json_string(stdout, x.board_name);
    printf(",\"pci_bus_id\":");
    if (*x.pci_bus_id)
        cli_json_string(stdout, x.pci_bus_id);
    else
        printf("null");
    printf(",\"platform_kind\":");
    cli_json_string(stdout, x.platform_kind);
    printf(",\"subgroups_from\":");
    cli_json_string(stdout, x.subgroups_from);
    printf(",\"subgroup_shuffle\":%s,\"subgroup_shuffle_relative\":%s,\"host_unified_memory\":%s,"
           "\"integrated\":%s,\"same_hardware\":%zu,\"same_hardware_count\":%zu,\"usable_bytes\":%llu,"
           "\"max_buffer_bytes\":%llu,\"host_available_bytes\":%llu,\"host_pointers\":%s",
           x.subgroup_shuffle ? "true" : "false", x.subgroup_shuffle_relative ? "true" : "false",
           x.host_unified_memory ? "true" : "false", x.integrated ? "true" : "false", x.same_hardware,
           x.same_hardware_count, (unsigned long long)x.usable_bytes, (unsigned long long)x.max_buffer_bytes,
           (unsigned long long)x.host_available_bytes, x.host_pointers ? "true" : "false");
    clembed_profile_source src[4];
    size_t n = clembed_device_profile_sources(d->index, NULL, src, 4);
    printf(",\"profile_levels\":[");
    for (size_t i = 0; i < n && i < 4; i++) {
        printf("%s{\"level\":\"%s\",\"state\":\"%s\",\"key\":", i ? "," : "", clembed_profile_level_name(src[i].level),
               clembed_profile_state_name(src[i].state));
        cli_json_string(stdout, src[i].key);
        printf(",\"path\":");
        cli_json_string(stdout, src[i].path);
        printf(",\"ops\":%zu,\"clblast_sets\":%zu}", src[i].ops, src[i].clblast_sets);
    }
    printf("]");
}

/* Hardware seen through several platforms, once per group. */
static void text_groups(void)
{
    for (size_t i = 0; i < clembed_device_count(); i++) {
        clembed_device_details x;
        x.size = sizeof x;
        if (clembed_device_details_get(i, &x) != CLEMBED_OK || x.same_hardware != i || x.same_hardware_count < 2)
            continue;
        printf("same hardware on %zu platforms: %s%s%s:", x.same_hardware_count, x.hardware_name,
               *x.pci_bus_id ? " at PCI " : "", x.pci_bus_id);
        for (size_t j = i; j < clembed_device_count(); j++) {
            clembed_device_details y;
            clembed_device_info o;
            y.size = sizeof y;
            if (clembed_device_details_get(j, &y) == CLEMBED_OK && y.same_hardware == i &&
                clembed_device_get(j, &o) == CLEMBED_OK)
                printf(" device %zu (%s)", j, o.platform_name);
        }
        printf("; each platform keeps its own profile\n");
    }
}

static void text_device(const clembed_device_info *d)
{
    printf("device %zu: %s\n", d->index, d->name);
    printf("  platform:          %s (%s)\n", d->platform_name, d->platform_version);
    printf("  vendor:            %s (id 0x%04x), type %s\n", d->vendor, d->vendor_id, type_name(d->type));
    printf("  driver:            %s\n", d->driver_version);
    const char *sels[16];
    size_t ns = device_selectors(d, sels, 16);
    printf("  select with:       -d");
    for (size_t i = 0; i < ns; i++)
        printf("%s %s%s%s", i ? "," : "", strchr(sels[i], ' ') ? "'" : "", sels[i],
               strchr(sels[i], ' ') ? "'" : "");
    printf("\n");
    printf("  version:           %s; %s\n", d->device_version, d->opencl_c_version);
    printf("  compute units:     %u at %u MHz\n", d->compute_units, d->max_clock_mhz);
    printf("  global memory:     %.1f MiB (max allocation %.1f MiB, cache %.0f KiB)\n",
           d->global_mem_bytes / 1048576.0, d->max_alloc_bytes / 1048576.0,
           d->global_cache_bytes / 1024.0);
    printf("  local memory:      %.0f KiB\n", d->local_mem_bytes / 1024.0);
    printf("  work-group size:   %zu (items %zu x %zu x %zu)\n", d->max_work_group_size,
           d->max_work_item_sizes[0], d->max_work_item_sizes[1], d->max_work_item_sizes[2]);
    printf("  float vector:      %u preferred\n", d->preferred_vector_width_float);
    printf("  fp16 %s, fp64 %s, sub-groups %s, unified memory %s, profiling %s\n",
           d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no", d->subgroups ? "yes" : "no",
           d->unified_memory ? "yes" : "no", d->profiling ? "yes" : "no");
    if (d->has_uuid) {
        printf("  uuid:              ");
        print_uuid(stdout, d);
        printf("\n");
    }
    char path[4096], detail[512];
    clembed_profile_state st = clembed_device_profile_state(d->index, NULL, path, sizeof path, detail, sizeof detail);
    printf("  profile:           %s%s%s%s%s%s\n", clembed_profile_state_name(st), *path ? " " : "", path,
           *detail ? " (" : "", detail, *detail ? ")" : "");
    if (st == CLEMBED_PROFILE_NONE || st == CLEMBED_PROFILE_STALE || st == CLEMBED_PROFILE_FOREIGN ||
        st == CLEMBED_PROFILE_CORRUPT)
        printf("                     built-in defaults%s; run clembed-tune to tune this device\n",
               st == CLEMBED_PROFILE_STALE ? " where it has no entry" : "");
}

static void json_kv_str(const char *k, const char *v, int comma)
{
    printf("\"%s\":", k);
    cli_json_string(stdout, v);
    if (comma)
        putchar(',');
}

static void json_device(const clembed_device_info *d)
{
    printf("{\"index\":%zu,", d->index);
    json_kv_str("name", d->name, 1);
    json_kv_str("platform", d->platform_name, 1);
    json_kv_str("platform_vendor", d->platform_vendor, 1);
    json_kv_str("platform_version", d->platform_version, 1);
    json_kv_str("vendor", d->vendor, 1);
    json_kv_str("driver_version", d->driver_version, 1);
    json_kv_str("device_version", d->device_version, 1);
    json_kv_str("opencl_c_version", d->opencl_c_version, 1);
    json_kv_str("type", type_name(d->type), 1);
    printf("\"vendor_id\":%u,\"compute_units\":%u,\"max_clock_mhz\":%u,", d->vendor_id,
           d->compute_units, d->max_clock_mhz);
    printf("\"global_mem_bytes\":%llu,\"max_alloc_bytes\":%llu,\"local_mem_bytes\":%llu,"
           "\"global_cache_bytes\":%llu,",
           (unsigned long long)d->global_mem_bytes, (unsigned long long)d->max_alloc_bytes,
           (unsigned long long)d->local_mem_bytes, (unsigned long long)d->global_cache_bytes);
    printf("\"max_work_group_size\":%zu,\"max_work_item_sizes\":[%zu,%zu,%zu],", d->max_work_group_size,
           d->max_work_item_sizes[0], d->max_work_item_sizes[1], d->max_work_item_sizes[2]);
    printf("\"preferred_vector_width_float\":%u,\"fp16\":%s,\"fp64\":%s,\"subgroups\":%s,"
           "\"unified_memory\":%s,\"profiling\":%s,",
           d->preferred_vector_width_float, d->fp16 ? "true" : "false", d->fp64 ? "true" : "false",
           d->subgroups ? "true" : "false", d->unified_memory ? "true" : "false",
           d->profiling ? "true" : "false");
    printf("\"uuid\":");
    if (d->has_uuid) {
        putchar('"');
        print_uuid(stdout, d);
        putchar('"');
    } else {
        printf("null");
    }
    const char *sels[16];
    size_t ns = device_selectors(d, sels, 16);
    printf(",\"selectors\":[");
    for (size_t i = 0; i < ns; i++) {
        if (i)
            putchar(',');
        cli_json_string(stdout, sels[i]);
    }
    printf("]");
    printf(",\"extensions\":");
    cli_json_string(stdout, d->extensions);
    char path[4096], detail[512];
    clembed_profile_state st = clembed_device_profile_state(d->index, NULL, path, sizeof path, detail, sizeof detail);
    printf(",\"profile\":{\"state\":\"%s\",\"path\":", clembed_profile_state_name(st));
    if (*path)
        cli_json_string(stdout, path);
    else
        printf("null");
    printf(",\"detail\":");
    cli_json_string(stdout, detail);
    printf("}");
    json_device_details(d);
    printf("}");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: clembed info [--json]\n"
               "       clembed info -m DIR [--json]\n"
               "  Lists the OpenCL platforms and devices clembed can use, with the capabilities\n"
               "  that tuning and kernels depend on, and the kernel binary cache.\n"
               "  Each device shows the -d selectors (and CLEMBED_DEVICE values) that pick it.\n"
               "  -m, --model DIR  describe the model directory DIR instead: architecture,\n"
               "                   module chain, output dimension, max length, prompts, weights\n"
               "  --json           one JSON object on stdout\n"
               "  -h, --help       this help\n");
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void text_module(const cJSON *mod)
{
    const char *type = str(mod, "type");
    printf("%s", type ? type : "?");
    if (type && strcmp(type, "Pooling") == 0) {
        const cJSON *m;
        int first = 1;
        printf(" (");
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(mod, "pooling_mode")) {
            printf("%s%s", first ? "" : "+", cJSON_IsString(m) ? m->valuestring : "?");
            first = 0;
        }
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(mod, "include_prompt")))
            printf(", prompt excluded");
        printf(")");
    } else if (type && strcmp(type, "Dense") == 0) {
        printf(" (%.0f -> %.0f, %s%s)", num(mod, "in_features"), num(mod, "out_features"),
               str(mod, "activation") ? str(mod, "activation") : "?",
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mod, "bias")) ? ", bias" : "");
    }
}

static void text_model(const cJSON *d)
{
    const cJSON *it, *w = cJSON_GetObjectItemCaseSensitive(d, "weights");
    const char *arch = str(d, "architecture");
    printf("model: %s\n", str(d, "dir"));
    printf("  architecture:      %s (%s)\n", arch ? arch : "not given", str(d, "model_type"));
    printf("  encoder:           %.0f layers, hidden %.0f, %.0f heads, intermediate %.0f, %s\n",
           num(d, "num_layers"), num(d, "hidden_size"), num(d, "num_heads"),
           num(d, "intermediate_size"), str(d, "hidden_act"));
    printf("  embeddings:        %.0f tokens, %.0f token types, %.0f positions (first %.0f)\n",
           num(d, "vocab_size"), num(d, "type_vocab_size"), num(d, "max_position_embeddings"),
           num(d, "position_offset"));
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "encoder");
    if (cJSON_IsObject(e)) {
        printf("  family:            %s (%s)", str(e, "family"),
               strcmp(str(e, "norm") ? str(e, "norm") : "", "rms") == 0 ? "RMSNorm" : "LayerNorm");
        int f1 = 1;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e, "features")) {
            printf("%s%s", f1 ? ": " : ", ", it->valuestring);
            f1 = 0;
        }
        printf("\n  attention:         %.0f heads of %.0f, %.0f key/value heads%s", num(d, "num_heads"),
               num(e, "head_dim"), num(e, "kv_heads"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "attention_bias"))
                                                           ? ", biases" : ", no biases");
        if (num(e, "relative_buckets") > 0)
            printf(", %.0f relative buckets up to %.0f", num(e, "relative_buckets"), num(e, "relative_max_distance"));
        const cJSON *sl = cJSON_GetObjectItemCaseSensitive(e, "sliding_layers");
        if (num(e, "rope_dim") > 0) {
            printf(", rotary over %.0f dimensions (theta %g", num(e, "rope_dim"), num(e, "rope_theta"));
            if (cJSON_GetArraySize(sl) > 0 && num(e, "rope_theta_sliding") != num(e, "rope_theta"))
                printf(", sliding layers %g", num(e, "rope_theta_sliding"));
            printf(")");
        }
        if (cJSON_GetArraySize(sl) > 0) {
            printf(", window %.0f back and %.0f ahead in layers", num(e, "window_left"), num(e, "window_right"));
            cJSON_ArrayForEach(it, sl)
                printf(" %.0f", it->valuedouble);
        }
        printf("\n  feed-forward:      %s%s%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "gated")) ? "gated " : "",
               str(d, "hidden_act"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "mlp_bias")) ? ", biases" : ", no biases");
        if (num(e, "layer_groups") > 0)
            printf("  layer sharing:     %.0f groups of %.0f layers\n", num(e, "layer_groups"),
                   num(e, "inner_group_layers"));
    }
    printf("  modules:           ");
    int first = 1;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d, "modules")) {
        printf("%s", first ? "" : " -> ");
        text_module(it);
        first = 0;
    }
    printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "modules_json"))
                       ? "" : "  (no modules.json: sentence-transformers' default)");
    printf("  output dimension:  %.0f", num(d, "output_dimension"));
    if (num(d, "truncate_dim") > 0)
        printf(" (truncate_dim %.0f)", num(d, "truncate_dim"));
    printf("\n  max sequence:      %.0f tokens%s\n", num(d, "max_seq_length"),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "do_lower_case")) ? ", lower-cased" : "");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(d, "tokenizer");
    if (cJSON_IsObject(tok))
        printf("  tokenizer:         tokenizer.json, %.0f tokens\n", num(tok, "vocab_size"));
    printf("  prompts:          ");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(d, "prompts")) {
        printf(" %s=", it->string);
        cli_json_string(stdout, it->valuestring);
    }
    printf("; default: %s\n", str(d, "default_prompt_name") ? str(d, "default_prompt_name") : "none");
    printf("  similarity:        %s\n",
           str(d, "similarity_fn_name") ? str(d, "similarity_fn_name") : "not given (cosine)");
    printf("  weights:           %.0f parameters in %s, %.0f bytes, %.0f tensors in",
           num(w, "parameters"), str(w, "dtype"), num(w, "bytes"), num(w, "tensors"));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(w, "files"))
        printf(" %s", it->valuestring);
    printf("\n");
}

static int info_model(const char *dir, int json)
{
    clembed_model *m = NULL;
    char *desc = NULL;
    clembed_status rc = clembed_model_open(dir, NULL, &m);
    if (rc == CLEMBED_OK)
        rc = clembed_model_describe_json(m, &desc);
    clembed_model_free(m);
    if (rc != CLEMBED_OK)
        return cli_fail(dir, rc);
    if (json) {
        printf("%s\n", desc);
    } else {
        cJSON *d = cJSON_Parse(desc);
        if (!d) {
            free(desc);
            fprintf(stderr, "clembed: %s: cannot read the model description\n", dir);
            return 1;
        }
        text_model(d);
        cJSON_Delete(d);
    }
    free(desc);
    return 0;
}

int clembed_cmd_info(int argc, char **argv)
{
    int json = 0;
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-m") == 0 || strcmp(argv[i], "--model") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "clembed info: %s needs a model directory\n", argv[i]);
                usage(stderr);
                return 2;
            }
            model = argv[++i];
        } else if (strncmp(argv[i], "--model=", 8) == 0) {
            model = argv[i] + 8;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "clembed info: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (model)
        return info_model(model, json);
    size_t n = clembed_device_count();
    const char *cache = clembed_cache_dir();
    size_t def = 0;
    char def_why[512], why_no_def[2048];
    int have_def = clembed_device_default(&def, def_why, sizeof def_why) == CLEMBED_OK;
    snprintf(why_no_def, sizeof why_no_def, "%s", have_def ? "" : clembed_errmsg());
    if (json) {
        printf("{\"version\":");
        cli_json_string(stdout, clembed_version_string());
        printf(",\"cache_dir\":");
        if (cache)
            cli_json_string(stdout, cache);
        else
            printf("null");
        printf(",\"default_device\":");
        if (have_def)
            printf("%zu", def);
        else
            printf("null");
        printf(",\"default_reason\":");
        cli_json_string(stdout, have_def ? def_why : "");
        printf(",\"platforms\":[");
        for (size_t i = 0; i < clembed_platform_count(); i++) {
            const char *pname, *hint;
            size_t nd;
            if (clembed_platform_get(i, &pname, &nd, &hint) != CLEMBED_OK)
                continue;
            printf("%s{\"name\":", i ? "," : "");
            cli_json_string(stdout, pname);
            printf(",\"devices\":%zu,\"hint\":", nd);
            cli_json_string(stdout, hint);
            printf("}");
        }
        printf("]");
        printf(",\"devices\":[");
        for (size_t i = 0; i < n; i++) {
            clembed_device_info d;
            if (clembed_device_get(i, &d) != CLEMBED_OK)
                continue;
            if (i)
                putchar(',');
            json_device(&d);
        }
        printf("]}\n");
        return 0;
    }
    printf("clembed %s\n", clembed_version_string());
    printf("kernel cache: %s\n", cache ? cache : "disabled");
    for (size_t i = 0; i < clembed_platform_count(); i++) {
        const char *pname, *hint;
        size_t nd;
        if (clembed_platform_get(i, &pname, &nd, &hint) == CLEMBED_OK && nd == 0)
            printf("platform '%s': no devices%s%s\n", pname, *hint ? "; " : "", hint);
    }
    if (n == 0) {
        printf("no OpenCL devices found: install an OpenCL driver (for the CPU, the Debian package "
               "pocl-opencl-icd; for Mesa rusticl, mesa-opencl-icd with RUSTICL_ENABLE set)\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        clembed_device_info d;
        if (clembed_device_get(i, &d) == CLEMBED_OK) {
            text_device(&d);
            text_device_details(&d);
        }
    }
    text_groups();
    if (have_def)
        printf("default device: %zu (%s)\n", def, def_why);
    else
        printf("default device: none (%s)\n", why_no_def);
    return 0;
}

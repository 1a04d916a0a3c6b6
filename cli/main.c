/*
 * main.c - the miforensics command: a table of sub-commands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct subcmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcmd cmds[] = {
	{ "analyze", cmd_analyze,
	  "decode every input, correlate, and write the report folder" },
	{ "packets", cmd_packets,
	  "one JSON line per decoded application message in captures" },
	{ "phone", cmd_phone,
	  "a Mi Home app extraction: account, homes, devices, scenes, device logs" },
	{ "live", cmd_live,
	  "live sniffing: rotating pcapng evidence files plus events as they happen" },
	{ "tokens", cmd_tokens,
	  "every device token found in extractions (printed in clear)" },
	{ "cloud", cmd_cloud,
	  "cloud login / cloud acquire: read-only acquisition from the Xiaomi cloud" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: miforensics COMMAND [options] INPUT...\n\n"
	    "Forensic analyzer for the Xiaomi Mi Home ecosystem.\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'miforensics COMMAND --help' describes a command's options.\n"
	    "Exit status: 0 ok, 1 an input was bad or incomplete, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return MF_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MF_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("miforensics %s\n", MF_VERSION);
		return MF_EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	cli_warn("unknown command '%s'", argv[1]);
	usage(stderr);
	return MF_EXIT_USAGE;
}

// clipscope-cli manpage: the man page in roff, generated from the same option and
// footer texts as --help (the build installs it as man1/clipscope-cli.1).
#include <cstdio>
#include <string>

#include "commands.h"

namespace clipscope::cli {
namespace {

// roff: backslashes escaped, a leading dot or quote neutralised, hyphens literal.
std::string roff(const std::string& text) {
    std::string out;
    bool line_start = true;
    for (char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
        line_start = c == '\n';
    }
    return out;
}

void print_options(const CLI::App& app) {
    for (const CLI::Option* opt : app.get_options()) {
        if (opt == app.get_help_ptr() || opt == app.get_help_all_ptr()) continue;
        std::string name = opt->get_positional() ? opt->get_name(true) : opt->get_name(false, true);
        std::string type = opt->get_type_name();
        if (opt->get_positional()) name = "<" + name + ">";
        std::printf(
            ".TP\n\\fB%s\\fR%s\n%s\n", roff(name).c_str(),
            (!opt->get_positional() && opt->get_expected_min() > 0 && !type.empty()) ? (" " + roff(type)).c_str() : "",
            roff(opt->get_description()).c_str());
    }
}

void print_footer(const std::string& footer) {
    if (footer.empty()) return;
    std::printf(".PP\n.nf\n%s\n.fi\n", roff(footer).c_str());
}

}  // namespace

void register_manpage(CLI::App& app) {
    auto* cmd = app.add_subcommand("manpage", "Print the man page (roff) generated from the help texts");
    cmd->group("");  // hidden from --help: it is for the build
    cmd->callback([&app] {
        std::printf(".TH CLIPSCOPE\\-CLI 1 \"\" \"clipscope-cli %s\" \"User Commands\"\n", CLIPSCOPE_VERSION);
        std::printf(".SH NAME\nclipscope\\-cli \\- %s\n",
                    roff("decompose CLIP ViT image embeddings into text-interpretable parts").c_str());
        std::printf(".SH SYNOPSIS\n.B clipscope\\-cli\n[\\fIglobal options\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]\n");
        std::printf(
            ".SH DESCRIPTION\n%s\n.PP\nEvery command prints \\fB\\-\\-help\\fR with examples. Results go to stdout "
            "(JSON where a command "
            "has \\fB\\-\\-json\\fR) or to files written atomically; logs and progress go to stderr.\n",
            roff(app.get_description()).c_str());
        std::printf(".SH GLOBAL OPTIONS\n");
        print_options(app);
        std::printf(".SH COMMANDS\n");
        for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
            std::printf(".SS \"%s\"\n%s\n", roff(sub->get_name()).c_str(), roff(sub->get_description()).c_str());
            print_options(*sub);
            print_footer(sub->get_footer());
        }
        std::printf(".SH EXIT STATUS\n%s\n", roff(app.get_footer()).c_str());
        std::printf(
            ".SH ENVIRONMENT\n.TP\n\\fBCLIPSCOPE_DATA_DIR\\fR\nFolder with the demo model and data (default: "
            "../share/clipscope beside the executable).\n"
            ".TP\n\\fBHF_HOME\\fR, \\fBHF_HUB_CACHE\\fR\nThe Hugging Face cache read by \\fBmodels\\fR and "
            "\\fB\\-\\-model hf\\-hub:ORG/NAME\\fR and written by \\fBdownload\\fR.\n"
            ".TP\n\\fBHF_ENDPOINT\\fR, \\fBHF_TOKEN\\fR, \\fBHF_HUB_OFFLINE\\fR, \\fBHF_HUB_DOWNLOAD_TIMEOUT\\fR\nHub "
            "address, access token, cache-only mode and stall timeout, as in huggingface_hub.\n"
            ".TP\n\\fBSPDLOG_LEVEL\\fR\nLog level (trace, debug, info, warn, error); \\fB\\-\\-quiet\\fR and "
            "\\fB\\-\\-verbose\\fR override it.\n"
            ".SH SEE ALSO\n\\fBclipscope\\fR(1) (the desktop app), README.md and docs/ in the source tree.\n");
    });
}

}  // namespace clipscope::cli

#include "clipscope/base/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "clipscope/base/error.h"
#include "clipscope/base/output_ledger.h"

namespace clipscope {
namespace fs = std::filesystem;

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& writer) {
    fs::path target(path);
    std::random_device rd;
    const fs::path temp = target.parent_path() / ("." + target.filename().string() + ".tmp-" +
                                                  std::to_string(::getpid()) + "-" + std::to_string(rd()));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) throw_input(path, std::string("cannot create a temporary file beside it: ") + std::strerror(errno));
        try {
            writer(out);
        } catch (...) {
            out.close();
            std::error_code ec;
            fs::remove(temp, ec);
            throw;
        }
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            fs::remove(temp, ec);
            throw_input(path, "write failed (disk full?)");
        }
    }
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) {
        fs::remove(temp, ec);
        throw_input(path, "cannot rename the temporary file into place: " + ec.message());
    }
    note_file_written(path);
}

void remove_stale_temporaries(const std::string& folder) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const auto mark = name.rfind(".tmp-");
        if (name.empty() || name[0] != '.' || mark == std::string::npos) continue;
        // .NAME.tmp-PID-N, as write_file_atomically names them.
        const std::string rest = name.substr(mark + 5);
        const auto dash = rest.find('-');
        if (dash == std::string::npos || dash == 0 || rest.find_first_not_of("0123456789-") != std::string::npos)
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its writer may still be running
        std::error_code remove_ec;
        fs::remove(it->path(), remove_ec);
    }
}

void write_text_atomically(const std::string& path, const std::string& text) {
    write_file_atomically(
        path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

std::string read_file_bytes(const std::string& path, size_t max_bytes) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw_input(path, "file not found");
    if (fs::is_directory(path, ec)) throw_input(path, "is a folder, expected a file");
    const auto size = fs::file_size(path, ec);
    if (ec) throw_input(path, "cannot read its size: " + ec.message());
    if (size > max_bytes)
        throw_input(path,
                    "file is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_input(path, std::string("cannot open: ") + std::strerror(errno));
    std::string bytes(size, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    if (static_cast<size_t>(in.gcount()) != size) throw_input(path, "short read");
    return bytes;
}

}  // namespace clipscope

// OpenAI's .pt checkpoints are TorchScript archives. We only read their
// parameters (never run the scripted graph, which hard-codes CUDA devices).
#include <torch/script.h>

#include <filesystem>
#include <set>

#include "clipscope/base/error.h"
#include "torch_bridge.h"

namespace clipscope {

StateDict read_torchscript_state_dict(const std::string& path, std::string* stored_dtype) {
    torch::jit::Module module;
    try {
        module = torch::jit::load(path, torch::kCPU);
    } catch (const std::exception& e) {
        std::string what = e.what();
        const auto newline = what.find('\n');
        if (newline != std::string::npos) what = what.substr(0, newline);
        throw_model(path, "not a readable TorchScript archive (" + what +
                              "). OpenAI .pt files are TorchScript; torch.save pickles are not supported");
    }
    StateDict dict;
    for (const auto& p : module.named_parameters(/*recurse=*/true)) dict[p.name] = p.value.detach().clone();
    for (const auto& b : module.named_buffers(/*recurse=*/true)) dict[b.name] = b.value.detach().clone();
    if (dict.empty()) throw_model(path, "the TorchScript archive holds no parameters");
    std::set<std::string> dtypes;
    for (auto& [key, value] : dict) {
        if (!value.is_floating_point()) continue;
        dtypes.insert(c10::toString(value.scalar_type()));
        value = value.to(at::kFloat);  // OpenAI archives store most weights in float16
    }
    if (stored_dtype) {
        stored_dtype->clear();
        for (const auto& d : dtypes) *stored_dtype += (stored_dtype->empty() ? "" : "+") + d;
    }
    return dict;
}

// Builds a module tree mirroring the dotted names and saves it as TorchScript.
void write_torchscript_checkpoint(const std::string& path, const std::map<std::string, FloatArray>& state_dict) {
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    int counter = 0;
    auto make_module = [&]() {
        return torch::jit::Module(c10::QualifiedName("__torch__.clipscope.M" + std::to_string(counter++)), cu);
    };
    torch::jit::Module root = make_module();
    std::map<std::string, torch::jit::Module> modules;  // by dotted prefix
    std::function<torch::jit::Module(const std::string&)> module_for =
        [&](const std::string& prefix) -> torch::jit::Module {
        if (prefix.empty()) return root;
        auto it = modules.find(prefix);
        if (it != modules.end()) return it->second;
        const auto dot = prefix.rfind('.');
        torch::jit::Module parent = module_for(dot == std::string::npos ? "" : prefix.substr(0, dot));
        torch::jit::Module child = make_module();
        parent.register_module(dot == std::string::npos ? prefix : prefix.substr(dot + 1), child);
        modules.emplace(prefix, child);
        return child;
    };
    for (const auto& [key, array] : state_dict) {
        const auto dot = key.rfind('.');
        torch::jit::Module owner = module_for(dot == std::string::npos ? "" : key.substr(0, dot));
        owner.register_parameter(dot == std::string::npos ? key : key.substr(dot + 1), view_as_tensor(array).clone(),
                                 /*is_buffer=*/false);
    }
    const std::string temp = path + ".tmp";
    root.save(temp);
    std::filesystem::rename(temp, path);
}

}  // namespace clipscope

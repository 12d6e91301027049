// Strict reader for model spec strings such as "kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128".
// Each model kind takes the keys it knows; finish() rejects whatever is left, so typos never pass silently.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fedtrain {

class SpecArgs {
public:
    // Throws Error(FT_E_INVALID_ARGUMENT) on a malformed string, a duplicate key or a missing kind.
    static SpecArgs parse(const std::string& text);

    const std::string& kind() const noexcept { return kind_; }

    int64_t take_int(const std::string& key, int64_t min, int64_t max);
    // The raw value of a required key (e.g. a file path); empty values are refused.
    std::string take_string(const std::string& key);
    int64_t take_int_or(const std::string& key, int64_t fallback, int64_t min, int64_t max);
    // Whether the spec names key (for optional list keys, which have no fallback value).
    bool has(const std::string& key) { return find(key) != nullptr; }
    std::vector<int64_t> take_int_list(const std::string& key, size_t min_count, size_t max_count, int64_t min,
                                       int64_t max);

    // Throws if a key was never taken.
    void finish() const;

private:
    struct Entry {
        std::string key;
        std::string value;
        bool taken = false;
    };

    Entry* find(const std::string& key);
    Entry& require(const std::string& key);

    std::string kind_;
    std::vector<Entry> entries_;
};

}  // namespace fedtrain

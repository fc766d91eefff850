#include "clipscope/base/run_control.h"

#include "clipscope/base/error.h"

namespace clipscope {

void RunControl::check() const {
    if (pause_ && !is_cancelled()) pause_();
    if (is_cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
}

}  // namespace clipscope

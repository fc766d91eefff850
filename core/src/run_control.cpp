#include "clipscope/run_control.h"

#include "clipscope/error.h"

namespace clipscope {

void RunControl::check() const {
    if (is_cancelled()) throw Error(ErrorKind::Cancelled, "cancelled");
}

}  // namespace clipscope

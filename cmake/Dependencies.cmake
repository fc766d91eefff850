# Third-party packages, all from Debian 12 (scripts/install-deps.sh installs them).
find_package(Torch REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(ZLIB REQUIRED)
# libsentencepiece (Debian's libsentencepiece-dev), used only by the SentencePiece module.
find_library(SENTENCEPIECE_LIBRARY sentencepiece REQUIRED)
find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# JPEGs are decoded with libjpeg directly: Pillow's CMYK conversion, truncated files refused (core/io/src/jpeg_decoder.cpp).
find_package(JPEG REQUIRED)
find_package(Qt6 REQUIRED COMPONENTS Widgets Charts Svg Test)
# ImageNet-Segmentation's gtsegs_ijcv.mat is MATLAB v7.3 = HDF5 (FindHDF5 needs the C language enabled; pkg-config does not).
find_package(PkgConfig REQUIRED)
pkg_check_modules(HDF5 REQUIRED IMPORTED_TARGET hdf5)

# LibTorch behind one interface target with SYSTEM includes, so its headers never
# trip our warnings and never leak into targets that do not ask for them.
add_library(clipscope_torch INTERFACE)
target_link_libraries(clipscope_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(clipscope_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_compile_options(clipscope_torch INTERFACE ${TORCH_CXX_FLAGS})

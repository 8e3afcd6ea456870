# sweep_server: the gRPC adapter (service.*) and the server runner over sweep_coordinator;
# sweepd: the coordinator binary. Included from server/CMakeLists.txt.
if(TARGET sweep_coordinator AND TARGET sweep_convert AND TARGET sweep_spec)
  sweep_library(NAME sweep_server SRCS service.cc server_runner.cc
    DEPS sweep_coordinator sweep_convert sweep_spec sweep_proto spdlog::spdlog)
  sweep_binary(NAME sweepd SRCS main.cc DEPS sweep_server sweep_logging CLI11::CLI11)
endif()

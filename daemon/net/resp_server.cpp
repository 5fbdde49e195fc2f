// daemon/net/resp_server.cpp: the RESP listener (see resp_server.h).
#include "daemon/net/resp_server.h"

#include "daemon/net/resp_session.h"

namespace shardcache::net {

RespServer::RespServer(server::Runtime& rt)
    : listener_(rt, "RESP", rt.state().config.listen_address(), static_cast<uint16_t>(rt.state().config.port),
                std::string(kMaxClientsReply), [&rt](asio::ip::tcp::socket sock, size_t i) {
                  std::make_shared<RespSession>(std::move(sock), rt.state(), rt.live_clients(), i, rt.pool(i))->start();
                }) {}

}  // namespace shardcache::net

// daemon/http/http_server.cpp: the HTTP listener (see http_server.h).
#include "daemon/http/http_server.h"

#include "daemon/http/http_session.h"

namespace shardcache::http {

std::string max_clients_response() {
  constexpr std::string_view kBody = "{\"error\":\"ERR max number of clients reached\"}";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + std::string(kBody);
}

HttpServer::HttpServer(server::Runtime& rt, uint16_t port, size_t max_body)
    : shared_(std::make_shared<HttpShared>(rt.state(), rt.thread_count(), max_body)),
      listener_(rt, "HTTP", rt.state().config.listen_address(), port, max_clients_response(),
                [&rt, shared = shared_](asio::ip::tcp::socket sock, size_t i) {
                  std::make_shared<HttpSession>(std::move(sock), shared, rt.live_clients(), i)->start();
                }) {}

}  // namespace shardcache::http

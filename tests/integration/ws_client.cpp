#include "ws_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace sw::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
};

boost::json::object WsFrame::Json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

WsClient::WsClient(int port, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers)
    : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  auto& tcp = beast::get_lowest_layer(impl_->ws);
  tcp.expires_after(std::chrono::seconds(5));
  tcp.socket().connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)},
                       ec);
  if (ec) {
    error_ = "connect: " + ec.message();
    return;
  }
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  impl_->ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  if (ec)
    error_ = "handshake: " + ec.message() + " (HTTP " + std::to_string(res.result_int()) + ")";
}

WsClient::~WsClient() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

bool WsClient::Send(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  return !ec;
}

WsFrame WsClient::Read(std::chrono::milliseconds timeout) {
  WsFrame frame;
  beast::error_code result;
  bool done = false;
  beast::get_lowest_layer(impl_->ws).expires_after(timeout);
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (!done) {
    frame.reason = "read did not complete";
    return frame;
  }
  if (!result) {
    frame.kind = WsFrame::Kind::kText;
    frame.text = beast::buffers_to_string(impl_->buffer.data());
    impl_->buffer.consume(impl_->buffer.size());
    return frame;
  }
  if (result == websocket::error::closed) {
    frame.kind = WsFrame::Kind::kClosed;
    frame.close_code = impl_->ws.reason().code;
    frame.reason = std::string(impl_->ws.reason().reason.c_str());
    return frame;
  }
  frame.kind = result == beast::error::timeout ? WsFrame::Kind::kTimeout : WsFrame::Kind::kError;
  frame.reason = result.message();
  return frame;
}

}  // namespace sw::testing

/* gst-webrtc-session: a plain WebSocket connection framed by the relay (see
 * plain_ws_link.h). */
#include "plain_ws_link.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gws::relay {

namespace {

/* How long a close we started waits for the peer's close frame (and a
 * close answer for the kernel to take it), as libsoup's own timeout. */
constexpr gint64 kCloseTimeoutUs = 5 * G_USEC_PER_SEC;

bool
would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

} // namespace

PlainWsLink::PlainWsLink(
    Shared &shared, int fd, std::string early, Events &events)
    : shared_(shared), events_(events), fd_(fd), parser_(shared.max_message),
      in_(std::move(early)) {}

PlainWsLink::~PlainWsLink() {
  schedule(0);
  if (to_flush_) {
    auto &v = shared_.to_flush;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }
  if (fd_ >= 0) {
    shared_.pool->unwatch(fd_);
    ::close(fd_);
  }
}

void
PlainWsLink::start() {
  if (!shared_.pool->watch(fd_, EPOLLIN, this)) {
    events_.on_error("cannot watch the connection's descriptor");
    shut();
    return;
  }
  if (shared_.ping_interval > 0) {
    gint64 every = gint64{shared_.ping_interval} * G_USEC_PER_SEC;
    schedule(g_get_monotonic_time() + every / 2
             + static_cast<gint64>(g_random_double() * (every / 2)));
  }
  if (!in_.empty()) {
    std::string early;
    early.swap(in_);
    parse(early.data(), early.size(), false);
  }
}

void
PlainWsLink::send_text(std::string_view text) {
  if (state_ == State::Open)
    write_frame(ws::Opcode::Text, text);
}

void
PlainWsLink::close(uint16_t code, const std::string &reason) {
  if (state_ == State::Open)
    send_close(code, reason);
}

void
PlainWsLink::send_close(uint16_t code, std::string_view reason) {
  write_frame(ws::Opcode::Close, code == ws::close_code::kNoStatus
                                     ? std::string()
                                     : ws::close_payload(code, reason));
  if (state_ == State::Open)
    state_ = State::Closing;
  close_deadline_ = g_get_monotonic_time() + kCloseTimeoutUs;
  schedule(close_deadline_);
}

void
PlainWsLink::schedule(gint64 at) {
  if (timer_at_)
    shared_.timers.erase({timer_at_, this});
  timer_at_ = at;
  if (at)
    shared_.timers.emplace(at, this);
}

void
PlainWsLink::run_timers(Shared &shared, gint64 now_us) {
  while (!shared.timers.empty() && shared.timers.begin()->first <= now_us) {
    PlainWsLink *link = shared.timers.begin()->second;
    shared.timers.erase(shared.timers.begin());
    link->timer_at_ = 0;
    link->on_timer(now_us);
  }
}

void
PlainWsLink::on_timer(gint64 now_us) {
  if (state_ == State::Open) {
    write_frame(ws::Opcode::Ping, {});
    if (state_ == State::Open && shared_.ping_interval > 0)
      schedule(now_us + gint64{shared_.ping_interval} * G_USEC_PER_SEC);
  } else if (state_ != State::Closed && close_deadline_
             && now_us >= close_deadline_) {
    shut();
  }
}

void
PlainWsLink::write_frame(ws::Opcode opcode, std::string_view payload) {
  if (fd_ < 0)
    return;
  char header[ws::kMaxHeader];
  size_t hn = ws::write_header(header, opcode, payload.size());
  if (out_sent_ < out_.size() || shared_.corked) {
    /* Behind what is queued already, or corked: written by uncork(). */
    out_.append(header, hn);
    out_.append(payload);
    if (shared_.corked && !to_flush_ && !writing_) {
      to_flush_ = true;
      shared_.to_flush.push_back(this);
    }
    return;
  }
  iovec iov[2];
  iov[0].iov_base = header;
  iov[0].iov_len = hn;
  iov[1].iov_base = const_cast<char *>(payload.data());
  iov[1].iov_len = payload.size();
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = payload.empty() ? 1 : 2;
  ssize_t n = sendmsg(fd_, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (!would_block(errno)) {
      /* The peer is gone (reset, broken pipe): the read side sees it too,
       * but there is nothing more to send either way. */
      shut();
      return;
    }
    n = 0;
  }
  auto sent = static_cast<size_t>(n);
  if (sent == hn + payload.size())
    return;
  out_.clear();
  out_sent_ = 0;
  if (sent < hn) {
    out_.append(header + sent, hn - sent);
    out_.append(payload);
  } else {
    out_.append(payload.substr(sent - hn));
  }
  want_write(true);
}

void
PlainWsLink::flush() {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_,
        MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (would_block(errno))
        return;
      shut();
      return;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  /* All written: give the queue's memory back. */
  std::string().swap(out_);
  out_sent_ = 0;
  want_write(false);
  if (close_drained_)
    shut();
}

void
PlainWsLink::want_write(bool on) {
  if (writing_ == on || fd_ < 0)
    return;
  writing_ = on;
  shared_.pool->rewatch(fd_, EPOLLIN | (on ? EPOLLOUT : 0u));
}

void
PlainWsLink::fd_ready(guint32 events) {
  if (events & EPOLLOUT)
    flush();
  if (state_ != State::Closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    read_some();
}

void
PlainWsLink::read_some() {
  /* One recv() per readiness, even if more is waiting: the descriptor is
   * level-triggered, so the rest comes at the next wake-up, after the other
   * ready connections had their turn. */
  std::vector<char> &buf = shared_.scratch;
  ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0 && would_block(errno))
    return;
  if (n <= 0) {
    shut(); /* end of stream or reset: no close frame (code 0) */
    return;
  }
  auto size = static_cast<size_t>(n);
  bool outer = !shared_.corked;
  shared_.corked = true;
  if (in_.empty()) {
    parse(buf.data(), size, false);
  } else {
    in_.append(buf.data(), size);
    parse(in_.data(), in_.size(), true);
  }
  if (outer)
    uncork(shared_);
}

void
PlainWsLink::uncork(Shared &shared) {
  shared.corked = false;
  /* flush() may close a link (reported later by the server, never
   * destroyed here); nothing is added to the list while uncorked. */
  auto links = std::move(shared.to_flush);
  shared.to_flush.clear();
  for (PlainWsLink *link : links) {
    link->to_flush_ = false;
    if (link->fd_ >= 0 && !link->writing_)
      link->flush();
  }
  links.clear();
  if (shared.to_flush.capacity() < links.capacity())
    shared.to_flush.swap(links); /* keep the grown vector */
}

void
PlainWsLink::parse(char *data, size_t size, bool own_buffer) {
  size_t used = parser_.feed(data, size, *this);
  if (state_ == State::Closed)
    return;
  if (parser_.failed()) {
    events_.on_error(
        std::string("WebSocket protocol error: ") + parser_.error_reason());
    if (state_ == State::Open)
      send_close(parser_.error_code(), parser_.error_reason());
    in_.clear();
    finish(true);
    return;
  }
  if (parser_.closed()) {
    in_.clear(); /* on_close() answered it */
    return;
  }
  if (own_buffer) {
    in_.erase(0, used);
    if (in_.empty())
      std::string().swap(in_); /* grown for one large frame: give it back */
  } else if (used < size) {
    in_.assign(data + used, size - used);
  }
}

bool
PlainWsLink::on_message(bool text, std::string_view data) {
  /* Once our close is out, the peer's last messages go nowhere. */
  if (state_ == State::Open)
    events_.on_message(text, data);
  return state_ != State::Closed;
}

bool
PlainWsLink::on_ping(std::string_view payload) {
  if (state_ == State::Open)
    write_frame(ws::Opcode::Pong, payload);
  if (state_ != State::Closed)
    events_.on_alive();
  return state_ != State::Closed;
}

bool
PlainWsLink::on_pong(std::string_view) {
  events_.on_alive();
  return state_ != State::Closed;
}

void
PlainWsLink::on_close(uint16_t code, std::string_view) {
  peer_code_ = code;
  /* Answer with the same code (none if it sent none), then hang up once the
   * answer is out; a close we started is complete now. */
  if (state_ == State::Open)
    send_close(code, {});
  finish(true);
}

void
PlainWsLink::finish(bool drain) {
  if (state_ == State::Closed)
    return;
  if (drain && out_sent_ < out_.size()) {
    close_drained_ = true;
    if (!close_deadline_) {
      close_deadline_ = g_get_monotonic_time() + kCloseTimeoutUs;
      schedule(close_deadline_);
    }
    return;
  }
  shut();
}

void
PlainWsLink::shut() {
  if (state_ == State::Closed)
    return;
  state_ = State::Closed;
  schedule(0);
  if (fd_ >= 0) {
    shared_.pool->unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  /* in_ may be what is being parsed right now: the destructor frees it. */
  std::string().swap(out_);
  out_sent_ = 0;
  events_.on_closed(peer_code_);
}

} // namespace gws::relay

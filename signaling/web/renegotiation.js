// gst-webrtc-session web client: a producer's second offer on the running
// connection (renegotiation, docs/protocol.md "Renegotiation").
//
// A second offer in a session is either a restart (a new peer connection on
// the producer's side: new ICE credentials, answered by a new
// RTCPeerConnection here, session.js) or a renegotiation (the same
// connection: the same ICE ufrag as the remote description we hold; a
// stream was added or removed). A renegotiation is answered on the same
// RTCPeerConnection: a new track arrives through its 'track' event, a
// removed one ends with its transceiver going inactive.

function ufragOf(sdp) {
  const m = /^a=ice-ufrag:(\S+)/m.exec(sdp || '');
  return m ? m[1] : null;
}

// Whether @offer ({type, sdp}) renegotiates @pc's current connection.
export function isRenegotiation(pc, offer) {
  const remote = pc && pc.remoteDescription;
  if (!remote || pc.signalingState !== 'stable') return false;
  const before = ufragOf(remote.sdp);
  return before !== null && before === ufragOf(offer.sdp);
}

// Applies @offer to @pc and returns the answer (already set locally) to
// send back.
export async function answerRenegotiation(pc, offer) {
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription;
}

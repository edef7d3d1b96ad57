//! Named pipes (FIFOs, `mknod(S_IFIFO)`/`mkfifo`): opening a FIFO inode
//! gives an end of the one pipe shared by every open of that inode, with
//! Linux's `fifo_open` rules:
//!
//! * `O_RDONLY` waits until a writer has opened it (with `O_NONBLOCK`: at
//!   once; reads then see end of file while no writer is there);
//! * `O_WRONLY` waits until a reader has opened it (with `O_NONBLOCK` and
//!   no reader: `ENXIO`);
//! * `O_RDWR` never waits: the end is both a reader and a writer.
//!
//! The pipe lives while any end is open; the next open after that starts
//! an empty one (its data is gone, as on Linux).
//!
//! Locking: [`FIFOS`] (level `DeviceRegistry`, which ranks before `Pipe`)
//! maps an inode to its pipe; it is held only to look up or insert, never
//! while waiting. A blocking open waits on the pipe's pollee.

use super::file::{Kind, OpenFile};
use super::mounts::Pinned;
use super::pipe::{empty_pipe, Pipe, PipeEnd};
use crate::sync::{LockLevel, SpinLock};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use mello_abi::fs::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use mello_abi::Errno;
use vfs::{Ino, MountId};

static FIFOS: SpinLock<BTreeMap<(MountId, Ino), Weak<Pipe>>> =
    SpinLock::new(LockLevel::DeviceRegistry, "fifos", BTreeMap::new());

/// The pipe of the FIFO inode `node`, made if no end is open.
fn pipe_of(node: &Pinned) -> Result<Arc<Pipe>, Errno> {
    let key = (node.loc().mount, node.loc().ino);
    let mut map = FIFOS.lock();
    if let Some(pipe) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(pipe);
    }
    map.retain(|_, w| w.strong_count() > 0);
    let pipe = empty_pipe();
    map.insert(key, Arc::downgrade(&pipe));
    Ok(pipe)
}

/// open(2) of the FIFO inode `node` with `flags` (module doc).
pub fn open(node: Pinned, flags: u32) -> Result<Arc<OpenFile>, Errno> {
    let pipe = pipe_of(&node)?;
    let nonblock = flags & O_NONBLOCK != 0;
    // The counters are read under the pipe's lock as this end is counted
    // in (Linux's fifo_open under the pipe mutex): a peer open now counts
    // as arrived (the snapshot is one less then), one that came and went
    // before does not.
    let mut end = match flags & O_ACCMODE {
        O_RDONLY => {
            let (end, writers_before, _) = PipeEnd::open_seen(&pipe, true, false);
            if !nonblock {
                end.wait_for_peer(true, writers_before, false)?;
            }
            end
        }
        O_WRONLY => {
            if nonblock && pipe.counts().0 == 0 {
                return Err(Errno::ENXIO);
            }
            let (end, _, readers_before) = PipeEnd::open_seen(&pipe, false, true);
            end.wait_for_peer(false, readers_before, nonblock)?;
            end
        }
        O_RDWR => PipeEnd::open(&pipe, true, true),
        _ => return Err(Errno::EINVAL),
    };
    end.node = Some(node);
    Ok(OpenFile::new(Kind::Pipe(end), flags))
}

//! Starts a throw-away v2 server (etcd or hecd-kv) with a client and a runtime for the checks.

use hecd_client::Client;
use hecd_testkit::kv::KvServer;

pub use hecd_testkit::kv::Kind;

pub struct Server {
    client: Client,
    rt: tokio::runtime::Runtime,
    kv: KvServer,
}

impl Server {
    pub fn start(kind: Kind) -> Option<Server> {
        let kv = KvServer::start(kind)?;
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let client = Client::builder().endpoints([kv.url.as_str()]).build().expect("client");
        Some(Server { client, rt, kv })
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub fn url(&self) -> String {
        self.kv.url.clone()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

//! The API the daemon uses: `Deliverer::start` before the first cycle, `run_until` delivering
//! continuously (woken by `notify`), one slow webhook never holding back another, and a clean
//! stop on shutdown.

mod common;
use common::outbox::{event_ids, TestFeed};
use common::receiver::{Received, Receiver};
use common::Sandbox;
use statuswatch::config::Config;
use statuswatch::model::Status;
use statuswatch::store::writer::Writer;
use statuswatch::store::Store;
use std::time::{Duration, Instant};

#[test]
fn run_until_delivers_as_events_arrive_and_stops_on_shutdown() {
    let sandbox = Sandbox::new();
    let fast = Receiver::start();
    let slow = Receiver::start();
    slow.set_delay(Duration::from_millis(1500));
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    let config = Config::from_toml(
        &format!(
            "[[webhooks]]\nname = \"fast\"\nurl = \"{}\"\n[[webhooks]]\nname = \"slow\"\nurl = \"{}\"\n[delivery]\ntimeout = \"3s\"\n",
            fast.url("/f"),
            slow.url("/s")
        ),
        "test",
    )
    .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (writer, writer_thread) = Writer::spawn(Store::open(&sandbox.db()).unwrap()).unwrap();
    let deliverer = runtime
        .block_on(statuswatch::deliver::Deliverer::start(
            config.webhooks.clone(),
            config.delivery.clone(),
            writer,
        ))
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = {
        let d = deliverer.clone();
        runtime.spawn(async move {
            d.run_until(async {
                let _ = stopped.await;
            })
            .await
        })
    };

    // A cycle writes events (here through a second connection, as another process would),
    // then tells the deliverer.
    aws.publish(&[("i1", Status::Outage, &[])]);
    aws.publish(&[("i1", Status::Resolved, &[])]);
    let ids = event_ids(&sandbox.db());
    let told = Instant::now();
    deliverer.notify();
    assert!(fast.wait_for("/f", 2, Duration::from_secs(5)));
    assert!(
        told.elapsed() < Duration::from_millis(1500),
        "the fast webhook waited for the slow one: {:?}",
        told.elapsed()
    );
    let got: Vec<String> = fast.received("/f").iter().map(Received::id).collect();
    assert_eq!(got, ids);

    // Shut down while the slow webhook's first attempt is in flight: it finishes and is
    // recorded, nothing new starts, and run_until returns.
    assert!(slow.wait_for("/s", 1, Duration::from_secs(5)));
    stop.send(()).unwrap();
    runtime.block_on(running).unwrap().unwrap();
    assert_eq!(slow.received("/s").len(), 1);
    drop(deliverer);
    drop(runtime);
    writer_thread.join().unwrap();
    assert_eq!(
        sandbox.count(
            "SELECT count(*) FROM deliveries WHERE webhook = 'slow' AND outcome = 'delivered'"
        ),
        1
    );
    // The second event is either queued or still ahead of the webhook's cursor (when the stop
    // came before the task read it): both wait for the next run. The delivered one is gone.
    let queued = sandbox.count("SELECT count(*) FROM webhook_queue WHERE webhook = 'slow'");
    assert!(queued <= 1, "{queued} queued for slow");
}

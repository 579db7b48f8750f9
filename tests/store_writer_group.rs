//! The writer's group commit: feeds' writes that wait together share one transaction, a write
//! that fails is rolled back alone, and every caller hears its own result once the group is
//! committed (never "stored" for something a reader cannot see yet).

mod common;
use common::fetch_rows;
use statuswatch::model::FeedSpec;
use statuswatch::model::FetchRecord;
use statuswatch::store::writer::Writer;
use statuswatch::store::{Store, StoreError};
use std::path::Path;

fn store_with_feeds(path: &Path, n: usize) -> Store {
    let mut store = Store::open(path).unwrap();
    let specs: Vec<FeedSpec> = (0..n)
        .map(|i| FeedSpec {
            url: format!("https://status{i}.example.com/history.atom"),
            title: format!("Example {i}"),
            vendor: format!("example{i}"),
            ..FeedSpec::default()
        })
        .collect();
    store.import_feeds(&specs, chrono::Utc::now()).unwrap();
    store
}

/// A fetch that brought a document (and is logged).
fn fetched_ok() -> FetchRecord {
    FetchRecord {
        started_at: chrono::Utc::now(),
        http_status: Some(200),
        ..FetchRecord::default()
    }
}

/// Sends one grouped write per feed 1..=`feeds`, each running `write`, without waiting.
fn log_fetches<T, F>(
    writer: &Writer,
    path: &Path,
    feeds: i64,
    write: F,
) -> Vec<tokio::task::JoinHandle<Result<T, StoreError>>>
where
    T: Send + 'static,
    F: Fn(&mut Store, &Path, i64) -> Result<T, StoreError> + Clone + Send + 'static,
{
    (1..=feeds)
        .map(|feed_id| {
            let (writer, path, write) = (writer.clone(), path.to_path_buf(), write.clone());
            tokio::spawn(async move { writer.run_grouped(move |s| write(s, &path, feed_id)).await })
        })
        .collect()
}

/// The writer kept busy by a job that waits, so that writes sent meanwhile queue up behind it
/// and run as one group when it is released.
struct Busy {
    release: std::sync::mpsc::Sender<()>,
    job: tokio::task::JoinHandle<Result<(), StoreError>>,
}

impl Busy {
    async fn hold(writer: &Writer) -> Busy {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, is_busy) = tokio::sync::oneshot::channel::<()>();
        let writer = writer.clone();
        let job = tokio::spawn(async move {
            writer
                .run(move |_| {
                    let _ = started.send(());
                    let _ = held.recv();
                    Ok(())
                })
                .await
        });
        is_busy.await.unwrap();
        Busy { release, job }
    }

    /// Gives the writes sent meanwhile `wait` to reach the queue, then frees the writer.
    async fn release_after(self, wait: std::time::Duration) {
        tokio::time::sleep(wait).await;
        self.release.send(()).unwrap();
        self.job.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_in_a_group_rolls_back_alone_and_the_rest_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let store = store_with_feeds(&path, 8);
    let (writer, handle) = Writer::spawn(store).unwrap();

    // Hold the writer busy so that the writes below queue up behind it and run as one group.
    let busy = Busy::hold(&writer).await;

    // Feed 5 writes a row and then fails: the row must go with it, and only it.
    let tasks = log_fetches(&writer, &path, 8, |s, path, feed_id| {
        let record = fetched_ok();
        s.record_fetch(feed_id, &record, |_| None)?;
        if feed_id == 5 {
            s.record_fetch(999, &record, |_| None)?; // no such feed: fails
        }
        // Until its commit, another connection sees nothing of this write.
        assert_eq!(fetch_rows(path, Some(feed_id)), 0);
        Ok(feed_id)
    });
    // Let every write reach the writer's queue before it is free again.
    busy.release_after(std::time::Duration::from_millis(300))
        .await;

    for (i, task) in tasks.into_iter().enumerate() {
        let feed_id = i as i64 + 1;
        let result = task.await.unwrap();
        if feed_id == 5 {
            let err = result.unwrap_err().to_string();
            assert!(err.contains("999"), "{err}");
            assert_eq!(
                fetch_rows(&path, Some(feed_id)),
                0,
                "the failed write is rolled back"
            );
        } else {
            assert_eq!(result.unwrap(), feed_id);
            assert_eq!(
                fetch_rows(&path, Some(feed_id)),
                1,
                "feed {feed_id} committed"
            );
        }
    }
    drop(writer);
    let store = handle.join().unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_grouped_write_is_its_own_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.db");
    let store = store_with_feeds(&path, 1);
    let (writer, handle) = Writer::spawn(store).unwrap();
    let record = fetched_ok();
    writer
        .run_grouped(move |s| s.record_fetch(1, &record, |_| None))
        .await
        .unwrap();
    assert_eq!(fetch_rows(&path, Some(1)), 1);
    drop(writer);
    handle.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_waiting_together_are_committed_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = store_with_feeds(&path, 4);
    let (writer, handle) = Writer::spawn(store).unwrap();
    let busy = Busy::hold(&writer).await;
    let tasks = log_fetches(&writer, &path, 4, |s, path, feed_id| {
        s.record_fetch(feed_id, &fetched_ok(), |_| None)?;
        // What ran before it in this group is not committed yet either.
        Ok((1..=4).map(|id| fetch_rows(path, Some(id))).sum::<i64>())
    });
    busy.release_after(std::time::Duration::from_millis(300))
        .await;
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 0, "one commit for the group");
    }
    for feed_id in 1..=4 {
        assert_eq!(fetch_rows(&path, Some(feed_id)), 1);
    }
    drop(writer);
    handle.join().unwrap();
}

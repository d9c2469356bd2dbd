//! Waking from sleep forces a reconnect: a socket that slept is usually dead without knowing
//! it. On Linux, logind announces `PrepareForSleep(false)` on the system bus when the machine
//! resumes; we turn that into `ClientHandle::os_resumed`. Where there is no logind (containers,
//! CI, other platforms) the engine's clock-jump rule covers the same case on its own.

use herald_client::ClientHandle;

/// Watches for resume until the bus goes away. Returns quietly where logind is unavailable.
pub async fn watch(client: ClientHandle) {
    #[cfg(target_os = "linux")]
    if let Err(e) = linux::watch(&client).await {
        log::info!("no logind sleep signal ({e}); relying on clock-jump detection");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = client;
}

#[cfg(target_os = "linux")]
mod linux {
    use futures_util::StreamExt;
    use herald_client::ClientHandle;

    pub async fn watch(client: &ClientHandle) -> zbus::Result<()> {
        let conn = zbus::Connection::system().await?;
        let proxy = zbus::Proxy::new(
            &conn,
            "org.freedesktop.login1",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
        )
        .await?;
        let mut signals = proxy.receive_signal("PrepareForSleep").await?;
        log::info!("watching logind for resume from sleep");
        while let Some(msg) = signals.next().await {
            match msg.body().deserialize::<bool>() {
                Ok(true) => log::info!("the system is going to sleep"),
                Ok(false) => {
                    log::info!("the system resumed: reconnecting");
                    client.os_resumed();
                }
                Err(e) => log::debug!("unexpected PrepareForSleep body: {e}"),
            }
        }
        Ok(())
    }
}

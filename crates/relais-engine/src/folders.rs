//! Folders of a box: create, rename, delete — on the server first, then in the store, each
//! checked against the person's rights on the box (RFC 4314: `k` to create, `x` to delete
//! or rename) and refused on the special folders (inbox, Sent, Drafts, Trash, Junk), each in
//! the box's audit log. Names are the person's (`Classés/Cardiologie`); the server gets them
//! in modified UTF-7.

use relais_core::BoxAddress;
use relais_store::{AuditAction, FolderId};

use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::Engine;

/// A folder name the person typed, checked: not empty, no empty level, not `INBOX`.
fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    let bad = |why: &str| EngineError::InvalidFolderName {
        name: name.to_string(),
        why: why.to_string(),
    };
    if name.is_empty() {
        return Err(bad("le nom est vide"));
    }
    if name.split('/').any(|level| level.trim().is_empty()) {
        return Err(bad("un niveau du chemin est vide (« / » en trop)"));
    }
    if name.chars().any(|c| c.is_control() || c == '*' || c == '%') {
        return Err(bad(
            "il contient un caractère interdit (*, % ou un caractère de contrôle)",
        ));
    }
    if name.eq_ignore_ascii_case("INBOX") {
        return Err(bad("c'est le nom de la boîte de réception"));
    }
    Ok(name.to_string())
}

impl Engine {
    fn folders_changed(&self, address: &BoxAddress) {
        (self.events)(Event::FoldersChanged {
            box_address: address.clone(),
        });
    }

    /// Creates a folder (`parent/child` for a subfolder) in a box.
    pub fn create_folder(&self, address: &BoxAddress, name: &str) -> Result<FolderId> {
        let entitlement = self.entitlement(address)?;
        if !entitlement.rights.can_create_folders() {
            return Err(EngineError::NotAllowed {
                address: address.clone(),
                action: "créer des dossiers".into(),
            });
        }
        let name = checked_name(name)?;
        let wire = relais_net::encode_folder_name(&name);
        let request = format!("CREATE {wire}");
        let mut conn = self.pooled(&entitlement)?;
        let server_name = conn.server_name(&wire);
        let result = conn.session.create_folder(&server_name);
        drop(conn);
        if let Err(e) = result {
            let detail = e.to_string();
            self.audit(
                address,
                AuditAction::Other("folder".into()),
                &request,
                &detail,
                false,
            );
            return Err(self.server_refused(address, detail));
        }
        self.audit(
            address,
            AuditAction::Other("folder".into()),
            &request,
            "OK",
            true,
        );
        let id = self.store()?.upsert_folder(address, &wire, None)?;
        self.folders_changed(address);
        Ok(id)
    }

    /// The folder, unless it is a special one (which keeps its name and stays).
    fn ordinary_folder(&self, id: FolderId, action: &str) -> Result<relais_store::Folder> {
        let folder = self
            .store()?
            .folder(id)?
            .ok_or(EngineError::UnknownMessage)?;
        if folder.role.is_some() || folder.name.eq_ignore_ascii_case("INBOX") {
            return Err(EngineError::SpecialFolder {
                folder: relais_net::decode_folder_name(&folder.name),
                action: action.to_string(),
            });
        }
        let entitlement = self.entitlement(&folder.box_address)?;
        if !entitlement.rights.contains('x') {
            return Err(EngineError::NotAllowed {
                address: folder.box_address.clone(),
                action: format!("{action} des dossiers"),
            });
        }
        Ok(folder)
    }

    /// Renames a folder (its subfolders follow); the cached messages are read again from the
    /// server under the new name at the next synchronisation.
    pub fn rename_folder(&self, id: FolderId, new_name: &str) -> Result<FolderId> {
        let folder = self.ordinary_folder(id, "renommer")?;
        let address = folder.box_address.clone();
        let entitlement = self.entitlement(&address)?;
        let wire = relais_net::encode_folder_name(&checked_name(new_name)?);
        let request = format!("RENAME {} {wire}", folder.name);
        let mut conn = self.pooled(&entitlement)?;
        let (from, to) = (conn.server_name(&folder.name), conn.server_name(&wire));
        // A folder being renamed must not stay selected on the kept connection.
        let inbox = conn.server_name("INBOX");
        let result = conn
            .select(&inbox)
            .and_then(|_| conn.session.rename_folder(&from, &to));
        drop(conn);
        if let Err(e) = result {
            let detail = e.to_string();
            self.audit(
                &address,
                AuditAction::Other("folder".into()),
                &request,
                &detail,
                false,
            );
            return Err(self.server_refused(&address, detail));
        }
        self.audit(
            &address,
            AuditAction::Other("folder".into()),
            &request,
            "OK",
            true,
        );
        let new_id = {
            let mut store = self.store()?;
            // The folder and its subfolders, under their new names (their messages come back
            // at the next synchronisation).
            let prefix = format!("{}/", folder.name);
            for f in store.folders(&address)? {
                if let Some(rest) = f.name.strip_prefix(&prefix) {
                    store.remove_folder(f.id)?;
                    store.upsert_folder(&address, &format!("{wire}/{rest}"), None)?;
                }
            }
            store.remove_folder(id)?;
            store.upsert_folder(&address, &wire, None)?
        };
        self.folders_changed(&address);
        Ok(new_id)
    }

    /// Deletes a folder with its subfolders and the messages in them, on the server (the
    /// deepest first: a server keeps a parent with children as a mere name, RFC 3501 §6.3.4).
    pub fn delete_folder(&self, id: FolderId) -> Result<()> {
        let folder = self.ordinary_folder(id, "supprimer")?;
        let address = folder.box_address.clone();
        let entitlement = self.entitlement(&address)?;
        let prefix = format!("{}/", folder.name);
        let mut doomed: Vec<relais_store::Folder> = self
            .store()?
            .folders(&address)?
            .into_iter()
            .filter(|f| f.id == id || f.name.starts_with(&prefix))
            .collect();
        doomed.sort_by_key(|f| std::cmp::Reverse(f.name.matches('/').count()));
        let mut conn = self.pooled(&entitlement)?;
        let inbox = conn.server_name("INBOX");
        // A folder being deleted must not stay selected on the kept connection.
        if let Err(e) = conn.select(&inbox) {
            drop(conn);
            return Err(self.server_refused(&address, e));
        }
        for f in doomed {
            let request = format!("DELETE {}", f.name);
            let name = conn.server_name(&f.name);
            let result = conn.session.delete_folder(&name);
            if let Err(e) = result {
                drop(conn);
                let detail = e.to_string();
                self.audit(
                    &address,
                    AuditAction::Other("folder".into()),
                    &request,
                    &detail,
                    false,
                );
                self.folders_changed(&address);
                return Err(self.server_refused(&address, detail));
            }
            self.audit(
                &address,
                AuditAction::Other("folder".into()),
                &request,
                "OK",
                true,
            );
            self.store()?.remove_folder(f.id)?;
        }
        drop(conn);
        self.folders_changed(&address);
        Ok(())
    }
}

import FerryEngine
import Foundation

/// `ferry run --confirm [--yes]`: the run's changes shown per record first (a dry run with
/// `--diff`), then applied only when the operator says so, as vysync's
/// `db-to-yuman --dry-run` / `--yes`. The changes applied are those the sources hold when
/// the real run reads them: a source that changed in between is synced as it is then.
extension Run {
    /// True when the operator approves the changes `preview` listed (or `--yes` does).
    func approve(_ preview: Outcome) -> Bool {
        let changes = preview.diffs.reduce(0) { $0 + $1.created + $1.updated + $1.deleted + $1.conflicts }
        guard changes > 0 else {
            print("Nothing to change: nothing applied.")
            return false
        }
        if yes {
            print("Applying \(changes) change(s) (--yes).")
            return true
        }
        print("Apply these \(changes) change(s)? [y/N] ", terminator: "")
        fflush(nil)
        guard let answer = readLine() else {
            print("\nNo answer on standard input: nothing applied (--yes applies without asking).")
            return false
        }
        guard ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
            print("Not applied.")
            return false
        }
        return true
    }
}

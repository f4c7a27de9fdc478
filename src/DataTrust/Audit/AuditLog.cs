using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DataTrust.Audit.Events;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace DataTrust.Audit;

/// <summary>
/// The one way to record an effect. Call it inside the transaction that makes the effect, late,
/// just before <c>SaveChangesAsync</c> and commit:
/// <code>
/// await using var tx = await db.Database.BeginTransactionAsync(ct);
/// … change the effect's rows …
/// await audit.AppendAsync(db, new ConsentChanged(…), ct);
/// await db.SaveChangesAsync(ct);
/// await tx.CommitAsync(ct);
/// </code>
/// The entry is written at once, inside that transaction, so it commits with the effect or not at
/// all; if the append throws, the effect must fail too (fail closed). Appending locks the log's head
/// row until the transaction ends, so keep the append late in the transaction.
/// </summary>
internal interface IAuditLog
{
    Task AppendAsync(DataTrustDbContext db, AuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Several entries under one lock: for effects that record more than one event, and for throughput.</summary>
    Task AppendAsync(DataTrustDbContext db, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default);
}

internal sealed partial class AuditLog(AuditPseudonyms pseudonyms, TimeProvider clock) : IAuditLog
{
    // The head row locked by each open transaction, so that later appends in it reuse the lock and
    // the head as this transaction left it.
    private static readonly ConditionalWeakTable<IDbContextTransaction, AuditHead> LockedHeads = [];

    public Task AppendAsync(DataTrustDbContext db, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
        AppendAsync(db, [auditEvent], cancellationToken);

    public async Task AppendAsync(DataTrustDbContext db, IReadOnlyList<AuditEvent> auditEvents, CancellationToken cancellationToken = default)
    {
        if (auditEvents.Count == 0)
        {
            return;
        }

        // Everything that can fail on bad input happens before the lock is taken.
        var prepared = auditEvents.Select(Prepare).ToList();
        var head = await LockHeadAsync(db, cancellationToken);
        var range = CompactRange.Unpack(head.Size, head.Frontier);
        var previous = head.LastHash;
        var now = AuditEntryEncoding.Truncate(clock.GetUtcNow());
        var nodes = new List<AuditTreeNode>();
        foreach (var entry in prepared)
        {
            entry.Seq = range.Size;
            entry.RecordedAt = now;
            entry.PrevHash = previous;
            entry.LeafHash = MerkleHash.Leaf(AuditEntryEncoding.Encode(entry));
            range.Append(entry.LeafHash, (level, position, hash) =>
            {
                if (level % AuditTreeNode.LevelStride == 0)
                {
                    nodes.Add(new AuditTreeNode { Level = level, Position = position, Hash = hash });
                }
            });
            previous = entry.LeafHash;
        }

        var updated = new AuditHead { Id = head.Id, Size = range.Size, LastHash = previous, Frontier = range.Pack() };
        await AuditWriter.WriteAsync(db, prepared, nodes, updated, cancellationToken);
        (head.Size, head.LastHash, head.Frontier) = (updated.Size, updated.LastHash, updated.Frontier);
    }

    /// <summary>
    /// Locks the head row for the rest of the caller's transaction and returns it as this transaction
    /// sees it (appends keep it current; it is not tracked by the context): on PostgreSQL with
    /// SELECT … FOR UPDATE; on SQLite by writing to it, which takes the database's single write lock.
    /// Every writer of the log (appends, sealing, key changes) goes through here. On PostgreSQL, the caller may give
    /// statements of its own transaction to run in the same round trip (<paramref name="alongside"/>; not on SQLite, where
    /// the caller runs them itself); a later append in the transaction reuses the lock. They run just before the lock:
    /// row locks they take come before the head's, the order every writer keeps (the head is locked last), so two
    /// writers never wait on each other in a cycle.
    /// </summary>
    internal static async Task<AuditHead> LockHeadAsync(DataTrustDbContext db, CancellationToken cancellationToken, params NpgsqlBatchCommand[] alongside)
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException(
            "Audit entries join the caller's transaction: begin one (db.Database.BeginTransactionAsync) before appending, " +
            "then SaveChangesAsync and commit.");
        if (alongside.Length > 0 && db.IsSqlite)
        {
            throw new InvalidOperationException("Statements alongside the head's lock are for PostgreSQL.");
        }

        if (LockedHeads.TryGetValue(transaction, out var locked))
        {
            if (alongside.Length > 0)
            {
                await using var statements = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction());
                foreach (var command in alongside)
                {
                    statements.BatchCommands.Add(command);
                }

                await statements.ExecuteNonQueryAsync(cancellationToken);
            }

            return locked;
        }

        if (db.IsSqlite)
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE audit_head SET size = size WHERE id = 1", cancellationToken);
            var head = await db.Set<AuditHead>().AsNoTracking().SingleOrDefaultAsync(h => h.Id == AuditHead.SingletonId, cancellationToken) ?? throw MissingHead();
            LockedHeads.AddOrUpdate(transaction, head);
            return head;
        }

        // Straight through Npgsql: every audited transaction runs this, and EF's raw-SQL path cost more CPU than the query.
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction());
        foreach (var command in alongside)
        {
            batch.BatchCommands.Add(command);
        }

        batch.BatchCommands.Add(LockHeadCommand());
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken))
        {
            // past the caller's statements, which return no rows (an error in one throws here)
        }

        return await ReadLockedHeadAsync(db, reader, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL, for a caller that locks the head in a round trip of its own, as the last of its statements (the head is
    /// locked last); read the result with <see cref="ReadLockedHeadAsync"/>, after which appends in the transaction reuse the lock.
    /// </summary>
    internal static NpgsqlBatchCommand LockHeadCommand() => new("SELECT id, size, last_hash, frontier FROM audit_head WHERE id = 1 FOR UPDATE");

    /// <summary>The head locked by <see cref="LockHeadCommand"/>, whose result <paramref name="reader"/> stands on.</summary>
    internal static async Task<AuditHead> ReadLockedHeadAsync(DataTrustDbContext db, NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var head = await reader.ReadAsync(cancellationToken)
            ? new AuditHead { Id = reader.GetInt32(0), Size = reader.GetInt64(1), LastHash = (byte[])reader[2], Frontier = (byte[])reader[3] }
            : throw MissingHead();
        LockedHeads.AddOrUpdate(db.Database.CurrentTransaction!, head);
        return head;
    }

    private static InvalidOperationException MissingHead() => new("The audit_head row is missing: the audit schema is not migrated.");

    private AuditEntry Prepare(AuditEvent auditEvent)
    {
        var action = auditEvent.Action;
        if (string.IsNullOrEmpty(action) || action.Length > 64)
        {
            throw new ArgumentException("An audit action is 1 to 64 characters.", nameof(auditEvent));
        }

        var actor = auditEvent.Actor;
        var objects = new JsonArray(auditEvent.Objects
            .Select(o => (JsonNode?)new JsonObject { ["id"] = RefuseContactData(o.Id, "an object id"), ["type"] = o.Type })
            .ToArray());
        var details = auditEvent.Details();
        foreach (var value in StringsIn(details))
        {
            RefuseContactData(value, "the details");
        }

        var entry = new AuditEntry
        {
            ActorType = AuditActorTypes.Name(actor.Type),
            ActorId = actor.IsPerson ? pseudonyms.Of(actor.Id) : RefuseContactData(actor.Id, "the actor id"),
            Action = action,
            Subject = auditEvent.Subject is { } subject ? pseudonyms.Of(subject) : CheckPseudonym(auditEvent.SubjectPseudonym),
            Recipient = auditEvent.Recipient is { } recipient ? RefuseContactData(recipient, "the recipient") : null,
            Consent = auditEvent.Consent?.ToString("D"),
            Objects = CanonicalText(objects),
            Details = CanonicalText(details),
        };
        if (entry.ActorId.Length > 200 || entry.Recipient?.Length > 200)
        {
            throw new ArgumentException("Actor and recipient ids are at most 200 characters.", nameof(auditEvent));
        }

        return entry;
    }

    private static string? CheckPseudonym(string? pseudonym) =>
        pseudonym is null || (pseudonym.Length == 64 && pseudonym.All(char.IsAsciiHexDigitLower))
            ? pseudonym
            : throw new InvalidOperationException("A subject pseudonym is 64 lowercase hex digits.");

    private static string CanonicalText(JsonNode node) => System.Text.Encoding.UTF8.GetString(JsonCanonicalizer.CanonicalizeValue(node));

    private static IEnumerable<string> StringsIn(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => StringsIn(p.Value).Append(p.Key)),
        JsonArray a => a.SelectMany(StringsIn),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    /// <summary>
    /// Events are typed to hold ids and codes only; this is the last line of defence against a
    /// mistake that would put an e-mail address into the permanent, hash-chained log.
    /// </summary>
    private static string RefuseContactData(string value, string where)
    {
        if (EmailAddress().IsMatch(value))
        {
            throw new InvalidOperationException($"Audit entries hold no personal data, but {where} looks like an e-mail address.");
        }

        return value;
    }

    [GeneratedRegex(@"[^\s@""]+@[^\s@""]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex EmailAddress();
}

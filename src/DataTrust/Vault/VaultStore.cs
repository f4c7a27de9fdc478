using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataTrust.Persistence;
using DataTrust.Vault.Crypto;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DataTrust.Vault;

/// <summary>
/// Stores and reads residents' records encrypted. Every method works inside the caller's
/// <see cref="DataTrustDbContext"/> and transaction, so that ingestion and release code can commit a vault
/// change atomically with its consent check and audit entry. Plaintext is never logged and is zeroed
/// after use where the API lets it be.
/// </summary>
internal sealed class VaultStore(ResidentDataKeys dataKeys, TimeProvider time, ILogger<VaultStore> logger)
{
    // The release path runs this for every release: compiled, so EF does not translate it again each time.
    private static readonly PerModel<Func<DataTrustDbContext, Guid[], string[], IAsyncEnumerable<RecordWithKey>>> RecordsWithKeys = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, Guid[] residentIds, string[] categoryIds) =>
            from r in db.Set<VaultRecord>().AsNoTracking()
            where residentIds.Contains(r.ResidentId) && categoryIds.Contains(r.CategoryId)
            join k in db.Set<VaultDataKey>().AsNoTracking() on new { r.ResidentId, Version = r.DataKeyVersion } equals new { k.ResidentId, k.Version } into matching
            from k in matching.DefaultIfEmpty()
            orderby r.CreatedAt, r.Id
            select new RecordWithKey(r, k)));

    /// <summary>Encrypts and stores one record (a JSON object); returns its id. Saves the context's changes.</summary>
    public async Task<Guid> PutAsync(DataTrustDbContext db, Guid residentId, string categoryId, int schemaVersion, string payloadJson, CancellationToken cancellationToken = default)
    {
        var plaintext = GC.AllocateUninitializedArray<byte>(Encoding.UTF8.GetByteCount(payloadJson), pinned: true);
        try
        {
            Encoding.UTF8.GetBytes(payloadJson, plaintext);
            return await PutAsync(db, residentId, categoryId, schemaVersion, plaintext, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Encrypts and stores one record given as UTF-8 JSON; the caller keeps and zeroes its buffer.</summary>
    public Task<Guid> PutAsync(DataTrustDbContext db, Guid residentId, string categoryId, int schemaVersion, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default) =>
        PutAsync(db, residentId, categoryId, schemaVersion, utf8Json, providerId: null, cancellationToken);

    /// <summary>Encrypts and stores one record deposited by a data provider (named on the row as its provenance).</summary>
    public async Task<Guid> PutAsync(DataTrustDbContext db, Guid residentId, string categoryId, int schemaVersion, ReadOnlyMemory<byte> utf8Json, string? providerId, CancellationToken cancellationToken = default)
    {
        RecordRules.CheckCategoryId(categoryId);
        RecordRules.CheckSchemaVersion(schemaVersion);
        RecordRules.CheckJsonObject(utf8Json.Span);

        using var dataKey = (await dataKeys.ReserveAsync(db, residentId, 1, createFirst: true, cancellationToken))!;
        var id = Guid.CreateVersion7(time.GetUtcNow());
        var encrypted = RecordCipher.Encrypt(dataKey.Key, utf8Json.Span,
            RecordCipher.AssociatedData(residentId, id, dataKey.Version, schemaVersion, categoryId));
        var record = new VaultRecord
        {
            Id = id,
            ResidentId = residentId,
            CategoryId = categoryId,
            SchemaVersion = schemaVersion,
            DataKeyVersion = dataKey.Version,
            Nonce = encrypted.Nonce,
            Ciphertext = encrypted.Ciphertext,
            Tag = encrypted.Tag,
            CreatedAt = time.GetUtcNow(),
            ProviderId = providerId,
        };
        db.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(record).State = EntityState.Detached;
        return id;
    }

    /// <summary>
    /// Decrypts one record of this resident; null when the resident has no record with that id. Any
    /// failure to decrypt throws <see cref="VaultDecryptionException"/> and nothing else. Dispose the result.
    /// </summary>
    public async Task<DecryptedRecord?> GetAsync(DataTrustDbContext db, Guid residentId, Guid recordId, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<VaultRecord>().AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == recordId && r.ResidentId == residentId, cancellationToken);
        if (record is null)
        {
            return null;
        }

        var keyRow = await ResidentDataKeys.FindAsync(db, record.ResidentId, record.DataKeyVersion, cancellationToken);
        if (keyRow is null)
        {
            throw Unreadable(record, "data-key-missing");
        }

        using var dataKey = dataKeys.TryUnwrap(keyRow) ?? throw dataKeys.Unreadable(keyRow, "data-key-unwrap-failed");
        var plaintext = TryDecrypt(record, dataKey.Key) ?? throw Unreadable(record, "record-authentication-failed");
        return new DecryptedRecord(record.Id, record.ResidentId, record.CategoryId, record.SchemaVersion, record.CreatedAt, plaintext)
        {
            ProviderId = record.ProviderId,
            CorrectedAt = record.CorrectedAt,
        };
    }

    /// <summary>
    /// The still encrypted records of several residents in the given categories with their data keys, in one
    /// query (the release path reads a whole batch of releases' records at once), by resident, oldest first.
    /// Decrypt one resident's with <see cref="Decrypt"/>. On PostgreSQL, the release batch sends
    /// <see cref="RecordsWithKeysSelect"/> along with its other reads instead.
    /// </summary>
    public static async Task<ILookup<Guid, RecordWithKey>> ReadAsync(
        DataTrustDbContext db, IReadOnlyCollection<Guid> residentIds, IReadOnlyCollection<string> categoryIds, CancellationToken cancellationToken = default)
    {
        var rows = new List<RecordWithKey>();
        if (residentIds.Count == 0 || categoryIds.Count == 0)
        {
            return rows.ToLookup(row => row.Record.ResidentId);
        }

        await foreach (var row in RecordsWithKeys.For(db)(db, [.. residentIds], [.. categoryIds]).WithCancellation(cancellationToken))
        {
            rows.Add(row);
        }

        return rows.ToLookup(row => row.Record.ResidentId);
    }

    /// <summary>
    /// PostgreSQL: the records with their data keys, to be narrowed by a <c>WHERE</c> on <c>r</c> and ordered
    /// <c>BY r.created_at, r.id</c>; read them with <see cref="ReadRecordsWithKeysAsync"/>. Without EF's materialiser: this runs
    /// once per batch of releases, where EF took twice the CPU of the query. The data key is looked up per record
    /// (LATERAL … LIMIT 1 keeps the join a primary-key probe): as a plain join, the generic plan hashed a scan of every
    /// resident's data key for each batch.
    /// </summary>
    internal const string RecordsWithKeysSelect = """
        SELECT r.id, r.resident_id, r.category_id, r.schema_version, r.data_key_version, r.nonce, r.ciphertext, r.tag, r.created_at, r.provider_id, r.corrected_at,
               k.version, k.kek_version, k.wrapped_key, k.encryptions, k.created_at
        FROM vault_records r
        LEFT JOIN LATERAL (SELECT * FROM vault_data_keys k WHERE k.resident_id = r.resident_id AND k.version = r.data_key_version LIMIT 1) k ON true
        """;

    /// <summary>The rows of a <see cref="RecordsWithKeysSelect"/> result, on which <paramref name="reader"/> stands.</summary>
    internal static async Task<List<RecordWithKey>> ReadRecordsWithKeysAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<RecordWithKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var record = new VaultRecord
            {
                Id = reader.GetGuid(0), ResidentId = reader.GetGuid(1), CategoryId = reader.GetString(2), SchemaVersion = reader.GetInt32(3),
                DataKeyVersion = reader.GetInt32(4), Nonce = (byte[])reader[5], Ciphertext = (byte[])reader[6], Tag = (byte[])reader[7],
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(8), ProviderId = reader.IsDBNull(9) ? null : reader.GetString(9),
                CorrectedAt = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            };
            var key = reader.IsDBNull(11) ? null : new VaultDataKey
            {
                ResidentId = record.ResidentId, Version = reader.GetInt32(11), KekVersion = reader.GetInt32(12), WrappedKey = (byte[])reader[13],
                Encryptions = reader.GetInt64(14), CreatedAt = reader.GetFieldValue<DateTimeOffset>(15),
            };
            rows.Add(new RecordWithKey(record, key));
        }

        return rows;
    }

    /// <summary>
    /// Decrypts one resident's records as read by <see cref="ReadAsync"/>. Same failure rule as
    /// <see cref="GetAsync"/>. Dispose every result.
    /// </summary>
    public List<DecryptedRecord> Decrypt(IEnumerable<RecordWithKey> rows)
    {
        var read = rows.ToList();
        var records = read.ConvertAll(row => row.Record);
        var keyRows = read.Where(row => row.Key is not null).Select(row => row.Key!).DistinctBy(k => k.Version).ToDictionary(k => k.Version);
        var result = new List<DecryptedRecord>(records.Count);
        var keys = new Dictionary<int, UnwrappedDataKey>();
        try
        {
            foreach (var record in records)
            {
                if (!keys.TryGetValue(record.DataKeyVersion, out var dataKey))
                {
                    var keyRow = keyRows.GetValueOrDefault(record.DataKeyVersion) ?? throw Unreadable(record, "data-key-missing");
                    dataKey = dataKeys.TryUnwrap(keyRow) ?? throw dataKeys.Unreadable(keyRow, "data-key-unwrap-failed");
                    keys[record.DataKeyVersion] = dataKey;
                }

                var plaintext = TryDecrypt(record, dataKey.Key) ?? throw Unreadable(record, "record-authentication-failed");
                result.Add(new DecryptedRecord(record.Id, record.ResidentId, record.CategoryId, record.SchemaVersion, record.CreatedAt, plaintext)
                {
                    ProviderId = record.ProviderId,
                    CorrectedAt = record.CorrectedAt,
                });
            }

            return result;
        }
        catch
        {
            result.ForEach(r => r.Dispose());
            throw;
        }
        finally
        {
            foreach (var key in keys.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// Replaces the payload of one of the resident's records (a correction): encrypted afresh under the current
    /// data key, same record id. False when the resident has no record with that id.
    /// </summary>
    public async Task<bool> ReplaceAsync(DataTrustDbContext db, Guid residentId, Guid recordId, ReadOnlyMemory<byte> utf8Json, CancellationToken cancellationToken = default)
    {
        RecordRules.CheckJsonObject(utf8Json.Span);
        var record = await db.Set<VaultRecord>().AsNoTracking()
            .FirstOrDefaultAsync(r => r.Id == recordId && r.ResidentId == residentId, cancellationToken);
        if (record is null)
        {
            return false;
        }

        using var dataKey = (await dataKeys.ReserveAsync(db, residentId, 1, createFirst: false, cancellationToken))!;
        var encrypted = RecordCipher.Encrypt(dataKey.Key, utf8Json.Span,
            RecordCipher.AssociatedData(residentId, recordId, dataKey.Version, record.SchemaVersion, record.CategoryId));
        var version = dataKey.Version;
        var now = time.GetUtcNow();
        return await db.Set<VaultRecord>().Where(r => r.Id == recordId && r.ResidentId == residentId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(r => r.DataKeyVersion, version)
                .SetProperty(r => r.Nonce, encrypted.Nonce)
                .SetProperty(r => r.Ciphertext, encrypted.Ciphertext)
                .SetProperty(r => r.Tag, encrypted.Tag)
                .SetProperty(r => r.CorrectedAt, now), cancellationToken) == 1;
    }

    /// <summary>The resident's records without their payloads (nothing is decrypted), oldest first.</summary>
    public static async Task<IReadOnlyList<VaultRecordInfo>> ListAsync(DataTrustDbContext db, Guid residentId, string? categoryId = null, CancellationToken cancellationToken = default)
    {
        var records = db.Set<VaultRecord>().AsNoTracking().Where(r => r.ResidentId == residentId);
        if (categoryId is not null)
        {
            records = records.Where(r => r.CategoryId == categoryId);
        }

        return await records.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id)
            .Select(r => new VaultRecordInfo(r.Id, r.CategoryId, r.SchemaVersion, r.CreatedAt, r.ProviderId, r.CorrectedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes one record; false when the resident has no record with that id. The data key stays: this is
    /// not an erasure (see <see cref="Erasure.ResidentErasure"/>).
    /// </summary>
    public static async Task<bool> DeleteAsync(DataTrustDbContext db, Guid residentId, Guid recordId, CancellationToken cancellationToken = default) =>
        await db.Set<VaultRecord>().Where(r => r.Id == recordId && r.ResidentId == residentId).ExecuteDeleteAsync(cancellationToken) == 1;

    /// <summary>Decrypts a stored record with its (already unwrapped) data key; null on any failure.</summary>
    internal static byte[]? TryDecrypt(VaultRecord record, ReadOnlySpan<byte> dataKey)
    {
        if (Encoding.UTF8.GetByteCount(record.CategoryId) > ushort.MaxValue)
        {
            return null; // a tampered category too long to encode: the same failure as any other tampering
        }

        return RecordCipher.TryDecrypt(dataKey, new EncryptedPayload(record.Nonce, record.Ciphertext, record.Tag),
            RecordCipher.AssociatedData(record.ResidentId, record.Id, record.DataKeyVersion, record.SchemaVersion, record.CategoryId));
    }

    private VaultDecryptionException Unreadable(VaultRecord record, string reason)
    {
        logger.LogWarning("Vault record {RecordId} could not be decrypted: {Reason}.", record.Id, reason);
        return new VaultDecryptionException();
    }
}

/// <summary>A record's metadata, readable without decryption.</summary>
internal sealed record VaultRecordInfo(Guid Id, string CategoryId, int SchemaVersion, DateTimeOffset CreatedAt, string? ProviderId = null, DateTimeOffset? CorrectedAt = null);

/// <summary>
/// A decrypted record. The payload bytes are zeroed on dispose; strings and documents made from them are
/// the caller's to keep short-lived.
/// </summary>
internal sealed class DecryptedRecord(Guid id, Guid residentId, string categoryId, int schemaVersion, DateTimeOffset createdAt, byte[] utf8Json) : IDisposable
{
    public Guid Id { get; } = id;

    public Guid ResidentId { get; } = residentId;

    public string CategoryId { get; } = categoryId;

    public int SchemaVersion { get; } = schemaVersion;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public string? ProviderId { get; init; }

    public DateTimeOffset? CorrectedAt { get; init; }

    public ReadOnlyMemory<byte> Utf8Json => utf8Json;

    public JsonDocument ParseJson() => JsonDocument.Parse(utf8Json.AsMemory());

    public string GetJsonString() => Encoding.UTF8.GetString(utf8Json);

    public void Dispose() => CryptographicOperations.ZeroMemory(utf8Json);
}

/// <summary>A record and the data key it was encrypted under (null if that key row is missing).</summary>
internal sealed record RecordWithKey(VaultRecord Record, VaultDataKey? Key);

using System.Net;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using DataTrust.Vault;
using DataTrust.Vault.Erasure;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Retention;
using DataTrust.Vault.Rotation;
using DataTrust.Vault.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Vault;

/// <summary>The resident's control over stored data (portal and /api/me/records), erasure, retention and key jobs.</summary>
public abstract class ResidentControlTests(StorageProvider storage) : IngestionTestBase(storage)
{
    private async Task<(DataTrustFactory Factory, HttpClient Resident, Guid RecordId)> DepositedAsync(DataTrustFactory? factory = null)
    {
        factory ??= StartService();
        var resident = await factory.CreateClientAsync(Roles.Resident);
        var linkId = await LinkAsync(resident, "mobility", "health-checkup");
        using var provider = await ProviderClientAsync(factory);
        var response = await DepositAsync(provider, linkId, "mobility", MobilityFields);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (factory, resident, (await Oidc.Json(response)).GetProperty("recordId").GetGuid());
    }

    [Fact]
    public async Task The_resident_lists_reads_with_field_names_corrects_and_deletes_a_record()
    {
        var (factory, resident, recordId) = await DepositedAsync();
        using var _ = factory;
        using var __ = resident;

        var list = await Oidc.Json(await resident.GetAsync("/api/me/records"));
        list.EnumerateArray().ShouldHaveSingleItem().GetProperty("provider").GetString().ShouldBe(ProviderId);
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync($"/resident/records/{recordId}"));
        page.QuerySelector("table")!.TextContent.ShouldContain("移動の手段");
        page.QuerySelector("table")!.TextContent.ShouldContain(Canary);

        using var bad = new HttpRequestMessage(HttpMethod.Patch, $"/api/me/records/{recordId}") { Content = new StringContent("""{"fields":{"transport_mode":"rocket","nope":1}}""", Encoding.UTF8, "application/json") };
        var problem = await ProblemAsync(await resident.SendAsync(bad), HttpStatusCode.UnprocessableEntity);
        problem.GetProperty("errors").GetArrayLength().ShouldBe(2);
        using var good = new HttpRequestMessage(HttpMethod.Patch, $"/api/me/records/{recordId}") { Content = new StringContent("""{"fields":{"transport_mode":"walk"}}""", Encoding.UTF8, "application/json") };
        var corrected = await resident.SendAsync(good);
        corrected.StatusCode.ShouldBe(HttpStatusCode.OK, await corrected.Content.ReadAsStringAsync());
        var residentId = await ResidentIdAsync(factory);
        var json = (await ReadAsync(factory, residentId, recordId))!;
        json.ShouldContain("\"transport_mode\":\"walk\"");
        json.ShouldContain(Canary, customMessage: "fields not named keep their values");
        var correctedEntry = (await AuditAsync(factory, "vault.record_corrected")).ShouldHaveSingleItem();
        correctedEntry.Details.ShouldContain("transport_mode");
        correctedEntry.Details.ShouldNotContain("walk");

        // Another resident cannot see or delete it.
        using var taro = await factory.CreateSignedInClientAsync("taro@example.jp", DataTrust.Common.Demo.DemoData.Password);
        (await taro.GetAsync($"/api/me/records/{recordId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await taro.DeleteAsync($"/api/me/records/{recordId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var token = await SignIn.AntiforgeryTokenAsync(resident, $"/resident/records/{recordId}");
        var deleted = await resident.PostAsync($"/resident/records/{recordId}?handler=Delete", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        deleted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await RecordCountAsync(factory)).ShouldBe(0);
        (await AuditAsync(factory, "vault.record_deleted")).ShouldHaveSingleItem().Details.ShouldContain("resident");
        (await resident.DeleteAsync($"/api/me/records/{recordId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_export_holds_every_record_with_its_values_and_the_links_and_is_audited()
    {
        var (factory, resident, recordId) = await DepositedAsync();
        using var _ = factory;
        using var __ = resident;

        var response = await resident.GetAsync("/resident/records?handler=export");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentDisposition!.FileName!.ShouldContain("datatrust-my-data.json");
        var export = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        export.GetProperty("format").GetString().ShouldBe("datatrust-vault-export/1");
        var record = export.GetProperty("records").EnumerateArray().ShouldHaveSingleItem();
        record.GetProperty("id").GetGuid().ShouldBe(recordId);
        record.GetProperty("fields").GetProperty("origin_district").GetString().ShouldBe(Canary);
        var link = export.GetProperty("providerLinks").EnumerateArray().ShouldHaveSingleItem();
        link.GetProperty("storageConsent").GetArrayLength().ShouldBe(2);
        (await AuditAsync(factory, "vault.records_exported")).ShouldHaveSingleItem().Details.ShouldNotContain(Canary);
        (await resident.GetAsync("/api/me/records/export")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Erasure_through_the_portal_needs_confirmation_then_shreds_the_key_runs_the_erasure_steps_and_deletes_the_account()
    {
        var step = new RecordingStep();
        var (factory, resident, recordId) = await DepositedAsync(new StepFactory(Provider, step));
        using var _ = factory;
        using var __ = resident;
        var residentId = await ResidentIdAsync(factory);
        var keysBefore = await DataKeyRowsAsync(factory, residentId);
        var recordBefore = await RecordRowAsync(factory, recordId);

        var token = await SignIn.AntiforgeryTokenAsync(resident, "/resident/erase");
        var unconfirmed = await resident.PostAsync("/resident/erase", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        unconfirmed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await RecordCountAsync(factory)).ShouldBe(1, "nothing is erased without confirmation");
        step.Calls.ShouldBe(0);

        var erased = await resident.PostAsync("/resident/erase", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["confirm"] = "true" }));

        erased.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        erased.Headers.Location!.OriginalString.ShouldBe("/resident/erased");
        step.Calls.ShouldBe(1);
        step.Resident.ShouldBe(residentId);
        await using (var db = factory.NewDbContext())
        {
            (await db.Set<VaultRecord>().CountAsync(r => r.ResidentId == residentId)).ShouldBe(0);
            (await db.Set<VaultDataKey>().CountAsync(k => k.ResidentId == residentId)).ShouldBe(0);
            (await db.Set<VaultProviderLink>().CountAsync(l => l.ResidentId == residentId)).ShouldBe(0);
            (await db.Set<VaultStorageConsent>().CountAsync()).ShouldBe(0);
            (await db.Set<UserAccount>().CountAsync(u => u.Id == residentId)).ShouldBe(0);
        }

        var entry = (await AuditAsync(factory, "vault.resident_erased")).ShouldHaveSingleItem();
        entry.Details.ShouldContain("\"recordsDeleted\":1");
        entry.Subject.ShouldNotBe(residentId.ToString("D"));
        (await resident.GetAsync("/api/me/records")).StatusCode.ShouldNotBe(HttpStatusCode.OK, "the session ended with the account");
        (await Service<DataTrust.Audit.Verification.LiveAuditVerifier>(factory).VerifyAsync(null, CancellationToken.None)).Ok.ShouldBeTrue("the audit log stays verifiable after erasure");

        // A backup taken before the erasure, restored after the KEK version its keys are wrapped under was destroyed.
        await RestoreAsync(factory, keysBefore, recordBefore);
        await ShouldFailClosedAsync(factory, residentId, recordId);
    }

    private static async Task RestoreAsync(DataTrustFactory factory, List<VaultDataKey> keys, VaultRecord record)
    {
        // Before restoring, the operator rotated the KEK and destroyed the version the backup's keys are wrapped under.
        var administration = Service<KeyEncryptionKeyAdministration>(factory);
        await administration.AddVersionAsync(CancellationToken.None);
        await Service<KeyEncryptionKeyRotation>(factory).RewrapAllAsync();
        await administration.DestroyVersionAsync(1, CancellationToken.None);
        await using var db = factory.NewDbContext();
        db.AddRange(keys);
        db.Add(record);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Retention_deletes_records_past_their_categorys_retention_once_with_one_entry_each()
    {
        var (factory, resident, recordId) = await DepositedAsync();
        using var _ = factory;
        using var __ = resident;
        var residentId = await ResidentIdAsync(factory);
        var fresh = await PutAsync(factory, residentId, "mobility", """{"trip_date":"2026-11-01"}""");
        await using (var db = factory.NewDbContext())
        {
            var old = DateTimeOffset.UtcNow.AddYears(-2).AddDays(-1); // mobility keeps P2Y
            await db.Set<VaultRecord>().Where(r => r.Id == recordId).ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, old));
        }

        var retention = ActivatorUtilities.CreateInstance<RecordRetentionJob>(factory.Services);
        (await retention.RunAsync(CancellationToken.None)).ShouldBe(1);
        (await retention.RunAsync(CancellationToken.None)).ShouldBe(0, "a second run finds nothing");

        (await RecordRowAsync(factory, fresh)).ShouldNotBeNull();
        await using (var db = factory.NewDbContext())
        {
            (await db.Set<VaultRecord>().AnyAsync(r => r.Id == recordId)).ShouldBeFalse();
        }

        var entry = (await AuditAsync(factory, "vault.record_deleted")).ShouldHaveSingleItem();
        entry.Details.ShouldContain("retention");
        entry.Objects.ShouldContain(recordId.ToString("D"));
    }

    [Fact]
    public async Task Operators_start_rotations_as_jobs_and_each_rotation_is_audited_as_a_key_operation()
    {
        var (factory, resident, _) = await DepositedAsync();
        using var f = factory;
        using var r = resident;
        var residentId = await ResidentIdAsync(factory);
        using var admin = await factory.CreateClientAsync(Roles.Operator);

        var first = await admin.PostAsync($"/api/admin/vault/residents/{residentId}/rotate-dek", null);
        first.StatusCode.ShouldBe(HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync());
        var again = await admin.PostAsync($"/api/admin/vault/residents/{residentId}/rotate-dek", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        // Asking again before the job ran returns the same job; after it ran, the resident's key is newer and it is a new rotation.
        (await Oidc.Json(first)).GetProperty("created").GetBoolean().ShouldBeTrue();
        var created = (await Oidc.Json(again)).GetProperty("created").GetBoolean() ? 2 : 1;
        (await AuditAsync(factory, "admin.changed")).Count(e => e.Details.Contains("vault.rotate_dek")).ShouldBe(created, "each job created is audited once");
        (await admin.PostAsync($"/api/admin/vault/residents/{Guid.NewGuid()}/rotate-dek", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await resident.PostAsync("/api/admin/vault/rotate-kek", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // The job may run in the test host's worker meanwhile; rotating by hand as well is safe (rotations are idempotent).
        (await Service<DataKeyRotation>(factory).RotateCurrentAsync(residentId)).ShouldNotBeNull();
        (await DataKeyRowsAsync(factory, residentId)).ShouldHaveSingleItem().Version.ShouldBeGreaterThan(1, "the old data key is retired");
        Service<KeyEncryptionKeyAdministration>(factory).AddVersion();
        (await Service<KeyEncryptionKeyRotation>(factory).RewrapAllAsync()).Rewrapped.ShouldBe(1);

        var rotated = await AuditAsync(factory, "key.rotated");
        rotated.Select(e => e.Objects).ShouldContain(o => o.Contains("kek-v2"));
        rotated.ShouldContain(e => e.Details.Contains("resident-data-key") && e.Subject != null);
        (await admin.PostAsync("/api/admin/vault/rotate-kek", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await AuditAsync(factory, "admin.changed")).ShouldContain(e => e.Details.Contains("vault.rotate_kek"));
    }

    private sealed class RecordingStep : IResidentErasureStep
    {
        public int Calls { get; private set; }

        public Guid Resident { get; private set; }

        public Task EraseAsync(ResidentErasureContext context, CancellationToken cancellationToken)
        {
            context.Db.Database.CurrentTransaction.ShouldNotBeNull("a step runs inside the erasure's transaction");
            Calls++;
            Resident = context.ResidentId;
            return Task.CompletedTask;
        }
    }

    private sealed class StepFactory(StorageProvider provider, IResidentErasureStep step) : DataTrustFactory(provider)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton(step));
        }
    }
}

public sealed class SqliteResidentControlTests() : ResidentControlTests(StorageProvider.Sqlite);

public sealed class PostgresResidentControlTests() : ResidentControlTests(StorageProvider.Postgres);

using DataTrust.Identity.Clients;

namespace DataTrust.Tests.Common;

public sealed class ClientSecretHasherTests
{
    [Fact]
    public void A_hash_verifies_only_its_own_secret_and_never_contains_it()
    {
        var secret = ClientSecretHasher.NewSecret();
        var hash = ClientSecretHasher.Hash(secret);

        hash.ShouldStartWith("sha256$");
        hash.ShouldNotContain(secret);
        ClientSecretHasher.Verify(hash, secret).ShouldBeTrue();
        ClientSecretHasher.Verify(hash, secret + "x").ShouldBeFalse();
        ClientSecretHasher.Verify(hash, "").ShouldBeFalse();
    }

    [Fact]
    public void The_same_secret_hashes_differently_each_time()
    {
        ClientSecretHasher.Hash("s3cret-value").ShouldNotBe(ClientSecretHasher.Hash("s3cret-value"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plain-text")]
    [InlineData("md5$abc$def")]
    [InlineData("sha256$not base64!$zzz")]
    [InlineData("sha256$a$b$c")]
    public void Malformed_stored_values_never_verify(string? stored)
    {
        ClientSecretHasher.Verify(stored, "anything").ShouldBeFalse();
    }

    [Fact]
    public void New_secrets_are_256_bit_and_unique()
    {
        var secrets = Enumerable.Range(0, 100).Select(_ => ClientSecretHasher.NewSecret()).ToList();

        secrets.Distinct(StringComparer.Ordinal).Count().ShouldBe(100);
        secrets.ShouldAllBe(s => s.Length == 43);
    }
}

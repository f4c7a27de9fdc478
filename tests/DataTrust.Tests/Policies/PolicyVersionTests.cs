using System.Text;
using System.Text.RegularExpressions;
using DataTrust.Policies.Loading;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Policies;

/// <summary>
/// The version recorded with every decision names exactly one policy content: the same files give the
/// same version on every checkout, and any edit gives a new one.
/// </summary>
public sealed class PolicyVersionTests : IDisposable
{
    private readonly List<string> _directories = [];

    public void Dispose() => _directories.ForEach(d => Directory.Delete(d, recursive: true));

    [Fact]
    public void The_version_is_a_sha256_that_is_the_same_on_every_load()
    {
        var first = PolicyLoader.Load(RepositoryPaths.Policies).Version;
        var second = PolicyLoader.Load(RepositoryPaths.Policies).Version;

        first.ShouldMatch("^sha256:[0-9a-f]{64}$");
        second.ShouldBe(first);
    }

    [Fact]
    public void A_copy_elsewhere_with_CRLF_line_endings_and_a_byte_order_mark_has_the_same_version()
    {
        var original = PolicyLoader.Load(RepositoryPaths.Policies).Version;
        var copy = CopyShippedPolicy(text => Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"))).ToArray());
        File.ReadAllBytes(Path.Combine(copy, PurposesFile.Name)).ShouldContain((byte)'\r');

        PolicyLoader.Load(copy).Version.ShouldBe(original);
    }

    [Theory]
    [InlineData("policy.yaml")]
    [InlineData("purposes.yaml")]
    [InlineData("categories.yaml")]
    [InlineData("minimisation.yaml")]
    [InlineData("recipient-criteria.yaml")]
    public void Any_change_to_any_file_gives_a_new_version(string changedFile)
    {
        var original = PolicyLoader.Load(RepositoryPaths.Policies).Version;
        var copy = CopyShippedPolicy(Encoding.UTF8.GetBytes);
        File.AppendAllText(Path.Combine(copy, changedFile), "# reviewed by the ethics board\n");

        PolicyLoader.Load(copy).Version.ShouldNotBe(original);
    }

    [Fact]
    public void Changing_one_value_gives_a_new_version()
    {
        var original = PolicyLoader.Load(RepositoryPaths.Policies).Version;
        var copy = CopyShippedPolicy(Encoding.UTF8.GetBytes);
        var path = Path.Combine(copy, PolicySettingsFile.Name);
        var text = File.ReadAllText(path);
        var changed = Regex.Replace(text, @"minimum_group_size: (\d+)", m => $"minimum_group_size: {int.Parse(m.Groups[1].Value) + 1}");
        changed.ShouldNotBe(text);
        File.WriteAllText(path, changed);

        PolicyLoader.Load(copy).Version.ShouldNotBe(original);
    }

    [Fact]
    public void Moving_text_from_one_file_to_another_gives_a_new_version()
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal) { ["a.yaml"] = "x: 1\n", ["b.yaml"] = "y: 2\n" };
        var second = new Dictionary<string, string>(StringComparer.Ordinal) { ["a.yaml"] = "x: 1\ny: 2\n", ["b.yaml"] = string.Empty };

        PolicyVersion.Compute(first).ShouldNotBe(PolicyVersion.Compute(second));
    }

    private string CopyShippedPolicy(Func<string, byte[]> encode)
    {
        var copy = Directory.CreateTempSubdirectory("datatrust-policy-copy-").FullName;
        _directories.Add(copy);
        foreach (var file in PolicyLoader.FileNames)
        {
            File.WriteAllBytes(Path.Combine(copy, file), encode(File.ReadAllText(Path.Combine(RepositoryPaths.Policies, file)).ReplaceLineEndings("\n")));
        }

        return copy;
    }
}

using System.Collections.Immutable;
using System.Text;
using DataTrust.Common;
using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>The outcome of reading a policy directory: the policy, or every problem found in it.</summary>
internal sealed record PolicyReadResult(DataUsePolicy? Policy, IReadOnlyList<PolicyError> Errors);

/// <summary>
/// Reads and validates a policy directory. Every problem in every file is collected, so an operator
/// fixes a broken policy in one pass; a policy with any problem is never used.
/// </summary>
internal static class PolicyLoader
{
    public static IReadOnlyList<string> FileNames { get; } =
        [PolicySettingsFile.Name, PurposesFile.Name, CategoriesFile.Name, MinimisationFile.Name, RecipientCriteriaFile.Name];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The valid policy in <paramref name="directory"/>; otherwise a <see cref="StartupException"/> listing every problem, one per line.</summary>
    public static DataUsePolicy Load(string directory)
    {
        var result = Read(directory);
        return result.Policy ?? throw new StartupException(Describe(directory, result.Errors));
    }

    public static string Describe(string directory, IReadOnlyList<PolicyError> errors) =>
        $"the data-use policy in {directory} is invalid ({errors.Count} {(errors.Count == 1 ? "problem" : "problems")}):\n"
        + string.Join('\n', errors);

    public static PolicyReadResult Read(string directory)
    {
        var errors = new List<PolicyError>();
        if (!Directory.Exists(directory))
        {
            errors.Add(new PolicyError(directory, null, "the policy directory does not exist"));
            return new PolicyReadResult(null, errors);
        }

        foreach (var stray in Directory.EnumerateFiles(directory).Where(IsYaml).Where(p => !FileNames.Contains(Path.GetFileName(p), StringComparer.Ordinal)))
        {
            errors.Add(new PolicyError(stray, null, $"not a policy file: a policy consists of {string.Join(", ", FileNames)}; rename or remove it"));
        }

        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        (PolicyFile File, YamlMappingNode? Root) Open(string name)
        {
            var path = Path.Combine(directory, name);
            var file = new PolicyFile(path, errors);
            var text = ReadText(path, errors);
            if (text is null)
            {
                return (file, null);
            }

            texts[name] = text;
            return (file, file.ParseRoot(text));
        }

        var (settingsFile, settingsRoot) = Open(PolicySettingsFile.Name);
        var (purposesFile, purposesRoot) = Open(PurposesFile.Name);
        var (categoriesFile, categoriesRoot) = Open(CategoriesFile.Name);
        var (minimisationFile, minimisationRoot) = Open(MinimisationFile.Name);
        var (criteriaFile, criteriaRoot) = Open(RecipientCriteriaFile.Name);

        var settings = settingsRoot is null ? null : PolicySettingsFile.Read(settingsFile, settingsRoot);
        var purposes = purposesRoot is null ? null : PurposesFile.Read(purposesFile, purposesRoot);
        var categories = categoriesRoot is null ? null : CategoriesFile.Read(categoriesFile, categoriesRoot);
        var rules = minimisationRoot is null ? null : MinimisationFile.Read(minimisationFile, minimisationRoot);
        var criteria = criteriaRoot is null ? (ImmutableArray<RecipientCriterion>?)null : RecipientCriteriaFile.Read(criteriaFile, criteriaRoot);
        PolicyReferences.Check(purposesFile, purposes, categories, minimisationFile, rules);

        if (errors.Count > 0)
        {
            return new PolicyReadResult(null, [.. errors.OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line ?? 0)]);
        }

        // No problem was reported, so every file was read and every entry is complete.
        var policy = new DataUsePolicy(
            PolicyVersion.Compute(texts),
            settings!,
            [.. purposes!.Select(p => p.Purpose!)],
            [.. categories!.Select(c => c.Category!)],
            [.. rules!.Select(r => new MinimisationRule(r.Purpose.Id, [.. r.Allowed.Select(a => new CategoryAllowance(a.Category.Id, [.. a.Fields.Select(f => f.Id)]))]))],
            criteria!.Value);
        return new PolicyReadResult(policy, []);
    }

    private static string? ReadText(string path, List<PolicyError> errors)
    {
        if (!File.Exists(path))
        {
            errors.Add(new PolicyError(path, null, "the file is missing: every policy needs " + string.Join(", ", FileNames)));
            return null;
        }

        try
        {
            return PolicyVersion.Normalise(StrictUtf8.GetString(File.ReadAllBytes(path)));
        }
        catch (DecoderFallbackException)
        {
            errors.Add(new PolicyError(path, null, "the file is not UTF-8 text: save it as UTF-8"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new PolicyError(path, null, "the file cannot be read: " + ex.Message));
        }

        return null;
    }

    private static bool IsYaml(string path) =>
        Path.GetExtension(path) is { } extension
        && (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase));
}

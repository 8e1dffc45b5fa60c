namespace Checkpointing;

/// <summary>The result of <see cref="CheckpointFileVerifier.VerifyAsync"/>.</summary>
/// <param name="Directory">The directory verified (full path).</param>
/// <param name="Cards">The cards whose files were read, in file-name order.</param>
/// <param name="Findings">What was found; empty when every file is clean.</param>
public sealed record CheckpointVerification(string Directory, IReadOnlyList<string> Cards, IReadOnlyList<CheckpointFinding> Findings)
{
    /// <summary>Gets a value indicating whether any finding is damage (<see cref="CheckpointFinding.IsDamage"/>).</summary>
    public bool HasDamage => Findings.Any(f => f.IsDamage);
}

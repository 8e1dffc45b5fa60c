namespace Checkpointing.Testing;

/// <summary>
/// Thrown by <c>NotApplicableUnless</c> when a conformance test does not
/// apply to the store under test; a <see cref="ConformanceFactAttribute"/> test reports it as skipped.
/// </summary>
public sealed class ConformanceTestNotApplicableException : Exception
{
    /// <summary>Creates the exception with no reason.</summary>
    public ConformanceTestNotApplicableException()
    {
    }

    /// <summary>Creates the exception with the reason the test does not apply.</summary>
    /// <param name="message">Why the test does not apply to this store.</param>
    public ConformanceTestNotApplicableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and the exception that caused it.</summary>
    /// <param name="message">Why the test does not apply to this store.</param>
    /// <param name="innerException">The cause.</param>
    public ConformanceTestNotApplicableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

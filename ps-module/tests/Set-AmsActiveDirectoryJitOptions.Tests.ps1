#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsActiveDirectoryJitOptions, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsActiveDirectoryJitOptions' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the upstream parameters' {
        $command = Get-Command -Name Set-AmsActiveDirectoryJitOptions -Module AccessManager
        foreach ($name in 'JitMode', 'DcLocatorMode', 'DeltaSyncIntervalMinutes', 'FullSyncIntervalMinutes', 'MaximumJitRemovalRetryAttempts') {
            $command.Parameters.ContainsKey($name) | Should -BeTrue
        }
        Get-AmsConfirmImpact Set-AmsActiveDirectoryJitOptions | Should -BeExactly 'Medium'
    }

    It 'passes the mode and numbers' {
        $null = Set-AmsActiveDirectoryJitOptions -JitMode JitScheduler -MaximumJitRemovalRetryAttempts 5
        (Get-AmsStubCall).Line | Should -BeExactly 'active-directory-jit-options set --jit-mode JitScheduler --maximum-jit-removal-retry-attempts 5'
    }

    It 'joins DC locator modes with commas' {
        $null = Set-AmsActiveDirectoryJitOptions -DcLocatorMode @('SiteLookup', 'LocalDcLocator')
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'active-directory-jit-options|set|--dc-locator-mode|SiteLookup,LocalDcLocator'
    }

    It 'refuses an unknown mode before running ams' {
        { Set-AmsActiveDirectoryJitOptions -JitMode Pam } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsActiveDirectoryJitOptions -JitMode Auto -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}

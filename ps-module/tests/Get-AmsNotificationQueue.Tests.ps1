#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsNotificationQueue, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsNotificationQueue' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'filters by state and channel' {
        $null = Get-AmsNotificationQueue -State dead-letter -Channel 'SecOps' -Limit 10
        (Get-AmsStubCall).Line | Should -BeExactly 'notify queue get --state dead-letter --channel SecOps --limit 10'
    }

    It 'refuses an unknown state before running ams' {
        { Get-AmsNotificationQueue -State lost -ErrorAction Stop } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
